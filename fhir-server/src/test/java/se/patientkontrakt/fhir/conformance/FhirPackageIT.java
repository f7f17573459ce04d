package se.patientkontrakt.fhir.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.ValidationResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.hl7.fhir.common.hapi.validation.support.PrePopulatedValidationSupport;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CodeSystem;
import org.hl7.fhir.r4.model.StructureDefinition;
import org.hl7.fhir.r4.model.ValueSet;
import org.hl7.fhir.utilities.npm.NpmPackage;
import org.junit.jupiter.api.Test;

/**
 * The FHIR NPM package that the build produces ({@code target/patientkontrakt.fhir-*.tgz}) is
 * what another validator needs: it opens as a package, and a validator fed only from it (and the
 * FHIR core definitions) accepts the example contract and refuses a broken one.
 */
class FhirPackageIT {

    private static final FhirContext FHIR = FhirContext.forR4Cached();

    private static NpmPackage buildPackage() throws IOException {
        Path tgz;
        try (Stream<Path> target = Files.list(Path.of("target"))) {
            tgz = target.filter(p -> p.getFileName().toString().matches("patientkontrakt\\.fhir-.*\\.tgz"))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("the build made no FHIR package in target/"));
        }
        try (InputStream in = Files.newInputStream(tgz)) {
            return NpmPackage.fromPackage(in);
        }
    }

    @Test
    void packageDescribesItselfAndHoldsEveryDefinitionWithItsSnapshot() throws IOException {
        NpmPackage npm = buildPackage();

        assertThat(npm.name()).isEqualTo("patientkontrakt.fhir");
        assertThat(npm.fhirVersion()).isEqualTo("4.0.1");
        assertThat(npm.listResources("StructureDefinition")).contains("StructureDefinition-pk-patientkontrakt.json");
        try (Stream<Path> profiles = Files.list(Path.of("..", "profiles"))) {
            assertThat(npm.listResources("StructureDefinition"))
                    .containsExactlyInAnyOrderElementsOf(
                            profiles.map(p -> p.getFileName().toString())
                                    .filter(name -> name.startsWith("StructureDefinition-"))
                                    .toList());
        }
        for (String file : npm.listResources("StructureDefinition")) {
            StructureDefinition profile = (StructureDefinition) parse(npm.loadResource(file));
            assertThat(profile.hasSnapshot()).as(file + " carries its snapshot").isTrue();
            assertThat(profile.hasDifferential())
                    .as(file + " carries its differential")
                    .isTrue();
        }
        assertThat(npm.listResources("CodeSystem", "ValueSet", "NamingSystem")).hasSizeGreaterThanOrEqualTo(19);
        assertThat(npm.listResourcesInFolder("example", java.util.Set.of("CarePlan")))
                .contains("CarePlan-goran-karlsson-patientkontrakt.json");
    }

    @Test
    void aValidatorLoadedFromThePackageAloneEnforcesTheContract() throws IOException {
        NpmPackage npm = buildPackage();
        PrePopulatedValidationSupport definitions = new PrePopulatedValidationSupport(FHIR);
        for (String file : npm.listResources("StructureDefinition", "CodeSystem", "ValueSet")) {
            IBaseResource resource = parse(npm.loadResource(file));
            if (resource instanceof StructureDefinition sd) {
                definitions.addStructureDefinition(sd);
            } else if (resource instanceof CodeSystem cs) {
                definitions.addCodeSystem(cs);
            } else if (resource instanceof ValueSet vs) {
                definitions.addValueSet(vs);
            }
        }
        FhirValidator validator = ConformanceFolders.offlineValidator(FHIR, definitions);

        IBaseResource contract = parse(npm.load("example", "CarePlan-goran-karlsson-patientkontrakt.json"));
        assertThat(errors(validator.validateWithResult(contract))).isEmpty();

        ((org.hl7.fhir.r4.model.CarePlan) contract).setSubject(null);
        assertThat(errors(validator.validateWithResult(contract))).anyMatch(m -> m.contains("CarePlan.subject"));
    }

    private static IBaseResource parse(InputStream in) throws IOException {
        try (in) {
            return FHIR.newJsonParser().parseResource(in);
        }
    }

    private static List<String> errors(ValidationResult result) {
        return result.getMessages().stream()
                .filter(m -> m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL)
                .map(m -> m.getLocationString() + " " + m.getMessage())
                .toList();
    }
}
