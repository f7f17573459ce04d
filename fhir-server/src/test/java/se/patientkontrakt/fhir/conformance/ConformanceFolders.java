package se.patientkontrakt.fhir.conformance;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;

/** The top-level conformance folders as committed, read by the tests from the module directory. */
final class ConformanceFolders {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    /**
     * Other organisations' published definitions (Inera's EHDS-TK, HL7 Sweden's base profiles),
     * kept beside the repository and never copied into it; see the README there. A clone elsewhere
     * names their folder in the environment variable {@code PATIENTKONTRAKT_NATIONAL}.
     */
    static final Path NATIONAL = java.util.Optional.ofNullable(System.getenv("PATIENTKONTRAKT_NATIONAL"))
            .map(Path::of)
            .orElse(ROOT.resolveSibling("shared").resolve("national"));

    private ConformanceFolders() {}

    /** The JSON files of a folder ({@code profiles}, {@code terminology}, {@code examples}), sorted. */
    static Stream<Path> jsonFiles(String folder) {
        try (Stream<Path> listing = Files.list(ROOT.resolve(folder))) {
            return listing.filter(p -> p.toString().endsWith(".json")).sorted().toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A validator offline: FHIR R4's own definitions and {@code definitions}, with code systems
     * checked in memory and snapshots generated where a profile has none.
     */
    static FhirValidator offlineValidator(FhirContext fhir, IValidationSupport definitions) {
        return fhir.newValidator()
                .registerValidatorModule(new FhirInstanceValidator(new ValidationSupportChain(
                        fhir.getValidationSupport(),
                        definitions,
                        new CommonCodeSystemsTerminologyService(fhir),
                        new InMemoryTerminologyServerValidationSupport(fhir),
                        new SnapshotGeneratingValidationSupport(fhir))));
    }
}
