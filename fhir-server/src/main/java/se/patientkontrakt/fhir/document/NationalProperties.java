package se.patientkontrakt.fhir.document;

import jakarta.validation.constraints.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * How this installation shows itself to the national services, NPÖ and 1177 Journal
 * ({@code patientkontrakt.national.*}).
 *
 * @param sourceSystemHsaId the HSA-id under which this installation is registered as a source
 *     system in Inera's service catalogue (tjänstekatalogen); the national view names it in
 *     {@code meta.source} as {@code https://tjanstekatalogen.inera.se/Endpoint/{hsaId}}. Empty (the
 *     default) until a region registers the installation: {@code meta.source} then holds the
 *     server's own base address
 */
@Validated
@ConfigurationProperties("patientkontrakt.national")
public record NationalProperties(
        @DefaultValue("") @Pattern(regexp = "^$|^[A-Za-z0-9-]{3,64}$") String sourceSystemHsaId) {}
