package se.patientkontrakt.fhir.conformance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The top-level conformance folders as committed, read by the tests from the module directory. */
final class ConformanceFolders {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    /**
     * Other organisations' published definitions (Inera's EHDS-TK, HL7 Sweden's base profiles),
     * kept beside the repository and never copied into it; see the README there.
     */
    static final Path NATIONAL = ROOT.resolveSibling("shared").resolve("national");

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
}
