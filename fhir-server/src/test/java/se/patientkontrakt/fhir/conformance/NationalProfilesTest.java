package se.patientkontrakt.fhir.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import java.util.List;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Provenance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Our output against the national guide NPÖ and 1177 read it by: care's Provenance is also an
 * Inera EHDS-TK Provenance ({@code inera-ehds-provenance}: custodian = vårdgivare, author =
 * vårdenhet), shown with a Provenance without a care giver to really enforce its slices (see
 * {@link NationalDefinitions} on how they are loaded); and our directory and patient examples are
 * HL7 Sweden base instances. Validated offline ({@link NationalDefinitions}).
 */
class NationalProfilesTest {

    private static final FhirContext FHIR = FhirContext.forR4Cached();
    private static final String SE_BASE_PROFILES = "http://hl7.se/fhir/ig/base/StructureDefinition/SEBase";

    @Test
    void caresProvenanceIsAnIneraEhdsProvenance() {
        assertThat(ineraErrors(caresProvenance())).isEmpty();
    }

    @Test
    void anIneraProvenanceNamesTheCareGiver() {
        Provenance withoutCareGiver = FHIR.newJsonParser().parseResource(Provenance.class, caresProvenance());
        withoutCareGiver.getAgent().remove(0);

        assertThat(ineraErrors(FHIR.newJsonParser().encodeResourceToString(withoutCareGiver)))
                .anyMatch(error -> error.contains("custodian"));
    }

    /**
     * HL7 Sweden's base profiles constrain who a patient, a practitioner, a role and an
     * organisation are (personnummer and HSA-id systems, a name): every example of those types is
     * also a SEBase instance of its type.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("directoryAndPatientExamples")
    void theExampleIsAlsoASwedishBaseInstance(String file) {
        String example = ConformanceFolders.read(
                ConformanceFolders.ROOT.resolve("examples").resolve(file));
        String type = FHIR.newJsonParser().parseResource(example).fhirType();

        assertThat(errors(example, SE_BASE_PROFILES + type)).isEmpty();
    }

    @Test
    void aSwedishBasePatientWithoutANameIsRefused() {
        Patient nameless = FHIR.newJsonParser()
                .parseResource(
                        Patient.class,
                        ConformanceFolders.read(
                                ConformanceFolders.ROOT.resolve("examples/Patient-goran-karlsson.json")));
        nameless.getName().clear();

        assertThat(errors(FHIR.newJsonParser().encodeResourceToString(nameless), SE_BASE_PROFILES + "Patient"))
                .anyMatch(error -> error.contains("Patient.name"));
    }

    static Stream<String> directoryAndPatientExamples() {
        List<String> files = ConformanceFolders.jsonFiles("examples")
                .map(p -> p.getFileName().toString())
                .filter(name -> Stream.of("Patient-", "Practitioner-", "PractitionerRole-", "Organization-")
                        .anyMatch(name::startsWith))
                .toList();
        assertThat(files).as("examples of the four SEBase types").hasSizeGreaterThanOrEqualTo(4);
        return files.stream();
    }

    /** As text: HAPI's encoder would drop the versions from the target references. */
    private static String caresProvenance() {
        return ConformanceFolders.read(
                ConformanceFolders.ROOT.resolve("examples/Provenance-goran-karlsson-patientkontrakt-skapat.json"));
    }

    private static List<String> ineraErrors(String provenance) {
        return errors(provenance, NationalDefinitions.INERA_PROVENANCE);
    }

    private static List<String> errors(String resource, String profile) {
        return NationalDefinitions.errors(resource, profile);
    }
}
