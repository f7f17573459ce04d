package se.patientkontrakt.fhir.server;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * How the FHIR endpoint behaves towards clients ({@code patientkontrakt.server.*}). The narrative
 * switch {@code patientkontrakt.server.narrative} is read by {@link NarrativeInterceptor}'s
 * condition alone.
 *
 * @param maxRequestSize largest request body accepted; larger bodies get 413
 * @param defaultPageSize search page size when the client sends no {@code _count}
 * @param maxPageSize largest {@code _count} honoured
 */
@Validated
@ConfigurationProperties("patientkontrakt.server")
public record FhirServerProperties(
        @NotNull @DefaultValue("1MB") DataSize maxRequestSize,
        @Min(1) @Max(1000) @DefaultValue("20") int defaultPageSize,
        @Min(1) @Max(1000) @DefaultValue("200") int maxPageSize) {}
