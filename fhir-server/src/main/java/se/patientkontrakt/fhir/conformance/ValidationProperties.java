package se.patientkontrakt.fhir.conformance;

import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Profile validation on write ({@code patientkontrakt.validation.*}).
 *
 * @param enabled validate writes at all (turn off only to measure what validation costs)
 * @param requiredProfiles resource type to the profiles one of which every resource of that type
 *     must declare and conform to, e.g. {@code CarePlan: [pk-patientkontrakt, pk-annan-plan]}
 */
@ConfigurationProperties("patientkontrakt.validation")
public record ValidationProperties(
        @DefaultValue("true") boolean enabled, @DefaultValue Map<String, List<String>> requiredProfiles) {}
