package se.patientkontrakt.fhir.server;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Cross-origin access for browser front ends such as a 1177-type portal
 * ({@code patientkontrakt.cors.*}). No origins (the default) means no CORS headers at all.
 *
 * @param allowedOrigins origins (or patterns such as {@code https://*.example.se}) allowed to call
 * @param maxAge seconds a browser may cache a preflight answer
 */
@Validated
@ConfigurationProperties("patientkontrakt.cors")
public record CorsProperties(@DefaultValue List<String> allowedOrigins, @DefaultValue("1800") long maxAge) {

    public boolean enabled() {
        return !allowedOrigins.isEmpty();
    }
}
