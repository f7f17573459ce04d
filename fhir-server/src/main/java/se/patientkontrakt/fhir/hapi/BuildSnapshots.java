package se.patientkontrakt.fhir.hapi;

import ca.uhn.fhir.context.FhirContext;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.r4.model.StructureDefinition;
import org.slf4j.LoggerFactory;
import se.patientkontrakt.fhir.contract.ConformanceResources;

/**
 * Our profiles' snapshots, generated when the jar is built rather than at every start.
 *
 * <p>Generating the snapshots of our profiles from their differentials was the largest part of
 * the validator's start-up (11–17 s of a server's readiness, and of every test context). The
 * build runs {@link #main} once, after the classes and the conformance resources are in place
 * ({@code process-classes}), on the same chain and code as the validator's own generation, and
 * writes each profile with its snapshot to {@value #FOLDER} on the classpath, beside an index of
 * the differential each was generated from (a SHA-256 of its JSON as this server parses it). At
 * start-up {@link #read} hands the validator the snapshots whose differential is still the one
 * shipped; any other profile (edited without a rebuild, or run from an IDE that skipped the step)
 * has its snapshot generated at start-up as before. Nothing generated is committed.
 */
public final class BuildSnapshots {

    static final String FOLDER = "conformance/snapshots";
    private static final String INDEX = "differentials.tsv";

    private BuildSnapshots() {}

    /** Writes every profile with its snapshot, and the index, into the folder given. */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: BuildSnapshots <output folder>");
        }
        Path folder = Path.of(args[0]);
        quietLogging();
        long started = System.currentTimeMillis();
        FhirContext fhirContext = FhirContext.forR4();
        ConformanceResources conformance = new ConformanceResources(fhirContext);
        List<StructureDefinition> differentials = conformance.structureDefinitions();
        Map<String, String> digests = new HashMap<>();
        differentials.forEach(d -> digests.put(d.getUrl(), digest(fhirContext, d)));
        Map<String, StructureDefinition> snapshots = ContractValidator.generateSnapshots(fhirContext, conformance);
        Files.createDirectories(folder);
        List<String> index = new ArrayList<>();
        for (StructureDefinition differential : differentials) {
            String file = "StructureDefinition-" + differential.getIdElement().getIdPart() + ".json";
            try (Writer out = Files.newBufferedWriter(folder.resolve(file), StandardCharsets.UTF_8)) {
                fhirContext
                        .newJsonParser()
                        .setPrettyPrint(true)
                        .encodeResourceToWriter(snapshots.get(differential.getUrl()), out);
            }
            index.add(String.join("\t", differential.getUrl(), file, digests.get(differential.getUrl())));
        }
        Collections.sort(index);
        Files.write(folder.resolve(INDEX), index, StandardCharsets.UTF_8);
        System.out.printf(
                "Snapshots of %d profiles written to %s in %d ms%n",
                differentials.size(), folder, System.currentTimeMillis() - started);
    }

    /** HAPI logs every snapshot it generates: in a build's output only warnings and errors. */
    private static void quietLogging() {
        if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof Logger root) {
            root.setLevel(Level.WARN);
        }
    }

    /**
     * The build's snapshot of each of these profiles whose differential is the one it was
     * generated from, by profile URL; none when the build wrote none.
     */
    static Map<String, StructureDefinition> read(FhirContext fhirContext, List<StructureDefinition> differentials) {
        ClassLoader loader = BuildSnapshots.class.getClassLoader();
        Map<String, String[]> index = new HashMap<>();
        try (InputStream in = loader.getResourceAsStream(FOLDER + "/" + INDEX)) {
            if (in == null) {
                return Map.of();
            }
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String[] entry = line.strip().split("\t");
                if (entry.length == 3) {
                    index.put(entry[0], entry);
                }
            }
            Map<String, StructureDefinition> fresh = new HashMap<>();
            for (StructureDefinition differential : differentials) {
                String[] entry = index.get(differential.getUrl());
                if (entry == null || !entry[2].equals(digest(fhirContext, differential))) {
                    continue;
                }
                try (InputStream file = loader.getResourceAsStream(FOLDER + "/" + entry[1])) {
                    if (file != null) {
                        StructureDefinition snapshot =
                                fhirContext.newJsonParser().parseResource(StructureDefinition.class, file);
                        if (snapshot.hasSnapshot() && differential.getUrl().equals(snapshot.getUrl())) {
                            fresh.put(differential.getUrl(), snapshot);
                        }
                    }
                }
            }
            return fresh;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the build's snapshots from " + FOLDER, e);
        }
    }

    /** The SHA-256 of the profile as this server encodes it. */
    static String digest(FhirContext fhirContext, StructureDefinition differential) {
        try {
            byte[] json = fhirContext
                    .newJsonParser()
                    .encodeResourceToString(differential)
                    .getBytes(StandardCharsets.UTF_8);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java", e);
        }
    }
}
