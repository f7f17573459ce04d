package se.patientkontrakt.fhir.config;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * How the FHIR endpoint behaves towards clients ({@code patientkontrakt.server.*}).
 *
 * @param maxRequestSize largest request body accepted; larger bodies get 413
 * @param narrative whether responses carry a generated narrative when a resource has none
 * @param defaultPageSize search page size when the client sends no {@code _count}
 * @param maxPageSize largest {@code _count} honoured
 */
@Validated
@ConfigurationProperties("patientkontrakt.server")
public record FhirServerProperties(
        @NotNull @DefaultValue("1MB") DataSize maxRequestSize,
        @DefaultValue("true") boolean narrative,
        @Min(1) @Max(1000) @DefaultValue("20") int defaultPageSize,
        @Min(1) @Max(1000) @DefaultValue("200") int maxPageSize) {}
