package se.patientkontrakt.fhir.bench;

import ca.uhn.fhir.context.FhirContext;
import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import se.patientkontrakt.fhir.bench.ListedPopulation.Malgrupp;

/**
 * Writes a synthetic listed population ({@link ListedPopulation}) as NDJSON files
 * ({@link PopulationNdjson}) for {@code population.PopulationLoader} to load.
 *
 * <p>Run with {@code ./mvnw -q -pl fhir-server -Pbench test-compile exec:java@generate-population
 * -Dexec.args="--count 300000 --seed 42 --out /tmp/population"}; {@code scripts/bench-population.sh}
 * does it and loads the files.
 */
public final class GeneratePopulationCommand {

    static final String USAGE =
            """
            options:
              --out DIRECTORY     where Organization.ndjson, Patient.ndjson and Group.ndjson go (required)
              --count N           residents (default 300000)
              --seed S            seed of the population; ids start with pop<S>- (default 42)
              --today YYYY-MM-DD  the day ages and target groups are taken on (default: today)""";

    static {
        Commands.quietLogging();
    }

    private GeneratePopulationCommand() {}

    public static void main(String[] args) throws IOException {
        Path out;
        int count;
        long seed;
        LocalDate today;
        try {
            Options options = Options.parse(args, List.of("out", "count", "seed", "today"));
            if (!options.has("out")) {
                throw new Options.UsageException("--out is required");
            }
            out = Path.of(options.string("out", ""));
            count = options.positive("count", 300_000);
            seed = options.number("seed", 42);
            today = options.date("today", LocalDate.now());
        } catch (Options.UsageException e) {
            System.err.println(e.getMessage() + System.lineSeparator() + USAGE);
            System.exit(2);
            return;
        }
        long started = System.nanoTime();
        ListedPopulation population = new ListedPopulation(seed, count, today);
        Map<Malgrupp, Integer> sizes = new PopulationNdjson(FhirContext.forR4Cached(), population).write(out);
        System.out.printf(
                "Wrote %d residents listed at %d health centres to %s in %.1f s; target groups:%s%n",
                count,
                population.centres().size(),
                out,
                (System.nanoTime() - started) / 1e9,
                sizes.entrySet().stream()
                        .map(e -> String.format(
                                " %s %d (%.2f %%)", e.getKey().code, e.getValue(), 100.0 * e.getValue() / count))
                        .reduce("", String::concat));
    }
}
