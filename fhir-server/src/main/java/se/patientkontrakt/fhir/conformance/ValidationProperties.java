package se.patientkontrakt.fhir.conformance;

import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Profile validation on write ({@code patientkontrakt.validation.*}).
 *
 * @param requiredProfiles resource type to the profiles one of which every resource of that type
 *     must declare and conform to, e.g. {@code CarePlan: [pk-patientkontrakt, pk-annan-plan]}
 * @param benchmarkWithoutProfiles a benchmark switch, never for production: {@code true} skips the
 *     profile validation of writes so that its cost can be measured against a server that does it.
 *     The contract's other rules (personnummer and samordningsnummer, one Patient per identifier,
 *     pk-6) hold either way
 * @param engine how a write is validated: {@code compiled} (the default) checks it with our
 *     profiles compiled once and refers to the HL7 validator whatever it does not accept, whose
 *     answer is then the answer; {@code hl7} runs the HL7 validator on every write. {@code
 *     $validate} always runs the HL7 validator
 */
@ConfigurationProperties("patientkontrakt.validation")
public record ValidationProperties(
        @DefaultValue Map<String, List<String>> requiredProfiles,
        @DefaultValue("false") boolean benchmarkWithoutProfiles,
        @DefaultValue("compiled") Engine engine) {

    /** Which validator decides a write. */
    public enum Engine {
        COMPILED,
        HL7
    }

    boolean validateProfiles() {
        return !benchmarkWithoutProfiles;
    }
}
