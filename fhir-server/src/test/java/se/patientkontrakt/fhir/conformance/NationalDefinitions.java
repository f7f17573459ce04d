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
import org.hl7.fhir.r4.model.StructureDefinition;
import org.hl7.fhir.r4.model.ValueSet;

/**
 * The national guides' definitions, for validating our examples and our output offline: Inera's
 * EHDS-TK 0.3.3 with its dependencies and HL7 Sweden's base profiles 1.1.0 from {@link
 * ConformanceFolders#NATIONAL}, together with our own definitions (so what declares one of our
 * profiles is checked against it at the same time), in one validator built once per test JVM.
 *
 * <p>EHDS-TK slices {@code Provenance.agent} by value at {@code type.coding.code}, a path that
 * lies inside each slice's {@code patternCodeableConcept} on {@code type}. HAPI 8.8.0's validator
 * (HL7 core 6.7.9) cannot follow a discriminator into a pattern on an ancestor and reports
 * "Slicing cannot be evaluated" for every agent, whatever the instance holds. The Provenance
 * profile is therefore loaded with the same slices discriminated by that pattern (so the system is
 * checked too, which is stricter); {@code NationalProfilesTest} shows that the slices are then
 * really enforced.
 */
public final class NationalDefinitions {

    public static final String INERA_PROVENANCE =
            "https://fhir.inera.se/ig/ehds-tk/StructureDefinition/inera-ehds-provenance";
    public static final String INERA_CARE_PLAN =
            "https://fhir.inera.se/ig/ehds-tk/StructureDefinition/inera-ehds-care-plan";
    public static final String INERA_AUDIT_EVENT =
            "https://fhir.inera.se/ig/ehds-tk/StructureDefinition/inera-ehds-audit-event";
    public static final String INERA_PATIENT =
            "https://fhir.inera.se/ig/ehds-tk/StructureDefinition/inera-ehds-patient";

    static final Path EHDS_TK = ConformanceFolders.NATIONAL.resolve("ehds-tk-0.3.3");
    static final Path SE_BASE = ConformanceFolders.NATIONAL.resolve("se-base-1.1.0");

    private static final FhirContext FHIR = FhirContext.forR4Cached();
    private static FhirValidator validator;

    private NationalDefinitions() {}

    /** The errors (and fatal issues) of validating {@code resource} (JSON) against {@code profile}. */
    public static List<String> errors(String resource, String profile) {
        return errors(validator().validateWithResult(resource, new ValidationOptions().addProfile(profile)));
    }

    /** The errors of validating {@code resource} (JSON) against the profiles it declares, and its type's. */
    public static List<String> errors(String resource) {
        return errors(validator().validateWithResult(resource));
    }

    /**
     * Output declares the guide's newest profile names (SEEHDSCarePlan, SEEHDSProvenance) beside the
     * 0.3.3 ones; definitions of that newer state are not available offline (the national folder's
     * README), so the validator's "could not be found" for exactly those is not counted. The 0.3.3
     * profiles carry the same constraints and are checked.
     */
    private static List<String> errors(ca.uhn.fhir.validation.ValidationResult result) {
        return result.getMessages().stream()
                .filter(m -> m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL)
                .filter(m -> !(m.getMessage().contains("'https://fhir.inera.se/ig/ehds-tk/StructureDefinition/SEEHDS")
                        && m.getMessage().contains("could not be found")))
                .map(m -> m.getLocationString() + " " + m.getMessage())
                .toList();
    }

    static synchronized FhirValidator validator() {
        if (validator == null) {
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
        return validator;
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
