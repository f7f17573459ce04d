package se.patientkontrakt.fhir.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.ValidationOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.hl7.fhir.common.hapi.validation.support.PrePopulatedValidationSupport;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CodeSystem;
import org.hl7.fhir.r4.model.ElementDefinition.DiscriminatorType;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.StructureDefinition;
import org.hl7.fhir.r4.model.ValueSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Our output against the national guide NPÖ and 1177 read it by: care's Provenance is also an
 * Inera EHDS-TK Provenance ({@code inera-ehds-provenance}: custodian = vårdgivare, author =
 * vårdenhet). Validated offline with HAPI's validation chain, fed with EHDS-TK 0.3.3 and its
 * dependencies from {@link ConformanceFolders#NATIONAL} and with our own definitions, so the
 * example is checked against the profile it declares at the same time.
 *
 * <p>EHDS-TK slices {@code Provenance.agent} by value at {@code type.coding.code}, a path that
 * lies inside each slice's {@code patternCodeableConcept} on {@code type}. HAPI 8.8.0's validator
 * (HL7 core 6.7.9) cannot follow a discriminator into a pattern on an ancestor and reports
 * "Slicing cannot be evaluated" for every agent, whatever the instance holds. The test therefore
 * loads Inera's definition with the same slices discriminated by that pattern (so the system is
 * checked too, which is stricter), and shows with a Provenance without a care giver that the
 * slices are then really enforced.
 */
class NationalProfilesTest {

    private static final FhirContext FHIR = FhirContext.forR4Cached();
    private static final Path EHDS_TK = ConformanceFolders.NATIONAL.resolve("ehds-tk-0.3.3");
    private static final Path SE_BASE = ConformanceFolders.NATIONAL.resolve("se-base-1.1.0");
    private static final String SE_BASE_PROFILES = "http://hl7.se/fhir/ig/base/StructureDefinition/SEBase";
    private static final String INERA_PROVENANCE =
            "https://fhir.inera.se/ig/ehds-tk/StructureDefinition/inera-ehds-provenance";

    private static FhirValidator validator;

    @BeforeAll
    static void loadDefinitions() {
        assertThat(EHDS_TK)
                .as("Inera's EHDS-TK definitions beside the repository")
                .isDirectory();
        assertThat(SE_BASE)
                .as("HL7 Sweden's base profiles beside the repository")
                .isDirectory();
        PrePopulatedValidationSupport definitions = new PrePopulatedValidationSupport(FHIR);
        Stream.of(
                        jsonFilesUnder(EHDS_TK),
                        jsonFilesUnder(SE_BASE),
                        ConformanceFolders.jsonFiles("profiles"),
                        ConformanceFolders.jsonFiles("terminology"))
                .flatMap(files -> files)
                .map(file -> FHIR.newJsonParser().parseResource(ConformanceFolders.read(file)))
                .forEach(resource -> add(definitions, resource));
        validator = ConformanceFolders.offlineValidator(FHIR, definitions);
    }

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
        return errors(provenance, INERA_PROVENANCE);
    }

    private static List<String> errors(String resource, String profile) {
        return validator
                .validateWithResult(resource, new ValidationOptions().addProfile(profile))
                .getMessages()
                .stream()
                .filter(m -> m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL)
                .map(m -> m.getLocationString() + " " + m.getMessage())
                .toList();
    }

    private static void add(PrePopulatedValidationSupport definitions, IBaseResource resource) {
        if (resource instanceof StructureDefinition sd && INERA_PROVENANCE.equals(sd.getUrl())) {
            definitions.addStructureDefinition(agentsSlicedByTheirTypePattern(sd));
        } else if (resource instanceof StructureDefinition sd) {
            definitions.addStructureDefinition(sd);
        } else if (resource instanceof CodeSystem cs) {
            definitions.addCodeSystem(cs);
        } else if (resource instanceof ValueSet vs) {
            definitions.addValueSet(vs);
        }
    }

    private static StructureDefinition agentsSlicedByTheirTypePattern(StructureDefinition inera) {
        Stream.concat(inera.getSnapshot().getElement().stream(), inera.getDifferential().getElement().stream())
                .filter(element -> element.getId().equals("Provenance.agent"))
                .forEach(agent -> {
                    assertThat(agent.getSlicing().getDiscriminator())
                            .singleElement()
                            .satisfies(d -> assertThat(d.getPath()).isEqualTo("type.coding.code"));
                    agent.getSlicing()
                            .getDiscriminatorFirstRep()
                            .setType(DiscriminatorType.PATTERN)
                            .setPath("type");
                });
        return inera;
    }

    private static Stream<Path> jsonFilesUnder(Path folder) {
        try (Stream<Path> walk = Files.walk(folder)) {
            return walk.filter(p -> p.toString().endsWith(".json")).sorted().toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
