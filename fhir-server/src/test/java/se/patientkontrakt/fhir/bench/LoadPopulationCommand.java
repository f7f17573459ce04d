package se.patientkontrakt.fhir.bench;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import org.hl7.fhir.r4.model.Bundle;

/**
 * Writes a synthetic population of N patient contracts (see {@link SyntheticPopulation}) into a
 * running server through its REST API, as transaction Bundles POSTed to the base URL: first the
 * shared directory (units, practitioners, roles), then one Bundle per contract, from
 * {@code --concurrency} clients at once. Every entry is a PUT to a stable id, so a second run
 * with the same seed and {@code --today} stores nothing new.
 *
 * <p>Run with {@code ./mvnw -q -pl fhir-server -Pbench test-compile exec:java@populate
 * -Dexec.args="--base-url http://localhost:8080/fhir --count 1000 --seed 42"}. Progress goes to
 * standard error, the summary to standard output. The first answer that is not 2xx is printed
 * with its OperationOutcome and ends the run with exit status 1.
 */
public final class LoadPopulationCommand {

    static final String USAGE =
            """
            options (all optional):
              --base-url URL      FHIR base URL of a running server (default http://localhost:8080/fhir)
              --count N           number of contracts, one patient each (default 1000)
              --from I            send contracts I to N-1 only: go on with a load that stopped at I
                                  (contract I's patient is syn<S>-I; default 0, every contract)
              --seed S            seed of the population; ids start with syn<S>- (default 42)
              --concurrency C     transactions in flight at once (default 4)
              --today YYYY-MM-DD  date that next steps and follow-ups are placed around (default: today)
              --besides S:N,...   populations already in the database (seed S, N contracts, same --today):
                                  draw no personnummer they hold, which the server would refuse
              --listed-at S:N     a region's listed population already loaded (generate-population with
                                  seed S, N residents, same --today): draw none of its residents'
                                  personnummer, and list each patient (Patient.generalPractitioner) at
                                  one of its health centres in turn, so the contracts' patients are
                                  part of the listed population the follow-up counts""";

    static {
        // Before HAPI's FhirContext below logs its start-up.
        Commands.quietLogging();
    }

    private static final FhirContext FHIR = FhirContext.forR4Cached();
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    /** Directory Bundles stay well under the server's 1 MB request limit at this size. */
    private static final int DIRECTORY_ENTRIES_PER_BUNDLE = 100;

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private final URI base;
    private final int concurrency;
    private final AtomicReference<String> failure = new AtomicReference<>();

    private final List<ListedPopulation.HealthCentre> centres;

    private LoadPopulationCommand(URI base, int concurrency, List<ListedPopulation.HealthCentre> centres) {
        this.base = base;
        this.concurrency = concurrency;
        this.centres = centres;
    }

    public static void main(String[] args) throws InterruptedException {
        String baseUrl;
        int count;
        int from;
        long seed;
        int concurrency;
        LocalDate today;
        Set<String> taken = new HashSet<>();
        List<ListedPopulation.HealthCentre> centres = List.of();
        try {
            Options options = Options.parse(
                    args, List.of("base-url", "count", "from", "seed", "concurrency", "today", "besides", "listed-at"));
            baseUrl = options.string("base-url", "http://localhost:8080/fhir");
            count = options.positive("count", 1000);
            from = (int) options.number("from", 0);
            if (from < 0 || from >= count) {
                throw new Options.UsageException("--from must be at least 0 and below --count (" + count + ")");
            }
            seed = options.number("seed", 42);
            concurrency = options.positive("concurrency", 4);
            today = options.date("today", LocalDate.now());
            for (String other : options.string("besides", "").split(",")) {
                if (other.trim().startsWith(seed + ":")) {
                    throw new Options.UsageException("--besides names seed " + seed + ", the population being loaded");
                }
                if (!other.isBlank()) {
                    taken.addAll(otherPopulation(other.trim(), today).personalNumbers());
                }
            }
            String listedAt = options.string("listed-at", "");
            if (!listedAt.isBlank()) {
                ListedPopulation residents = listedPopulation(listedAt.trim(), today);
                taken.addAll(residents.personalNumbers());
                centres = residents.centres();
            }
        } catch (Options.UsageException e) {
            System.err.println(e.getMessage() + System.lineSeparator() + USAGE);
            System.exit(2);
            return;
        }
        SyntheticPopulation population = new SyntheticPopulation(seed, count, today, taken);
        if (!new LoadPopulationCommand(URI.create(baseUrl), concurrency, centres).load(population, from, seed)) {
            System.exit(1);
        }
    }

    /** The population named {@code seed:count}, as it was loaded around the same day. */
    private static SyntheticPopulation otherPopulation(String seedAndCount, LocalDate today)
            throws Options.UsageException {
        SeedAndCount named =
                SeedAndCount.parse(seedAndCount, "--besides takes seed:count pairs, comma-separated (e.g. 42:100000)");
        return new SyntheticPopulation(named.seed(), named.count(), today);
    }

    /** The listed population named {@code seed:count}, as generate-population drew it around the same day. */
    private static ListedPopulation listedPopulation(String seedAndCount, LocalDate today)
            throws Options.UsageException {
        SeedAndCount named = SeedAndCount.parse(seedAndCount, "--listed-at takes seed:count (e.g. 42:300000)");
        return new ListedPopulation(named.seed(), named.count(), today);
    }

    /** A population named on the command line by its seed and size. */
    private record SeedAndCount(long seed, int count) {

        static SeedAndCount parse(String value, String usage) throws Options.UsageException {
            String[] parts = value.split(":");
            try {
                if (parts.length == 2 && Integer.parseInt(parts[1]) > 0) {
                    return new SeedAndCount(Long.parseLong(parts[0]), Integer.parseInt(parts[1]));
                }
            } catch (NumberFormatException e) {
                // Said below.
            }
            throw new Options.UsageException(usage + ", not '" + value + "'");
        }
    }

    /** Contract {@code index}'s Bundle, its patient listed at a health centre when the load lists them. */
    private Bundle contractBundle(SyntheticPopulation population, int index) {
        Bundle bundle = PopulationBundles.contract(population.contract(index));
        if (!centres.isEmpty()) {
            PopulationBundles.listAt(bundle, centres.get(index % centres.size()));
        }
        return bundle;
    }

    private boolean load(SyntheticPopulation population, int from, long seed) throws InterruptedException {
        long started = System.nanoTime();
        List<Bundle> organizations = PopulationBundles.organizations(population, DIRECTORY_ENTRIES_PER_BUNDLE);
        List<Bundle> practitioners = PopulationBundles.practitioners(population, DIRECTORY_ENTRIES_PER_BUNDLE);
        int directorySize =
                population.units().size() + 2 * population.clinicians().size();
        System.err.printf(
                "Directory: %d units, %d practitioners with a role each%n",
                population.units().size(), population.clinicians().size());
        Stats directory = new Stats();
        try (ProgressBar bar = new ProgressBar("resources", directorySize)) {
            // Units first, on one connection: every role refers to one.
            new Batch(organizations.size(), organizations::get, i -> "units, Bundle " + (i + 1), bar, true)
                    .run(1, directory);
            new Batch(practitioners.size(), practitioners::get, i -> "practitioners, Bundle " + (i + 1), bar, true)
                    .run(concurrency, directory);
        }
        if (failed()) {
            return false;
        }
        double directorySeconds = (System.nanoTime() - started) / 1e9;

        int sent = population.count() - from;
        System.err.printf(
                "Contracts: %d to %d of %d for seed %d around %s, %d at a time%n",
                from, population.count() - 1, population.count(), seed, population.today(), concurrency);
        Stats contracts = new Stats();
        long contractsStarted = System.nanoTime();
        try (ProgressBar bar = new ProgressBar("contracts", sent)) {
            new Batch(
                            sent,
                            i -> contractBundle(population, from + i),
                            i -> "contract " + (from + i) + " (Patient/syn" + seed + "-" + (from + i) + ")",
                            bar,
                            false)
                    .run(concurrency, contracts);
        }
        if (failed()) {
            return false;
        }
        double seconds = (System.nanoTime() - contractsStarted) / 1e9;
        long resources = contracts.resources.sum();
        System.out.printf(
                "Directory: %d resources in %.1f s%n"
                        + "Loaded %d contracts (%d resources) into %s in %.1f s: %.1f contracts/s, %.1f resources/s%n"
                        + "  transaction round trip: median %s ms, p95 %s ms, p99 %s ms, max %s ms (%d in flight)%n"
                        + "  building and encoding the Bundles here: %.1f ms CPU per contract%n",
                directory.resources.sum(),
                directorySeconds,
                sent,
                resources,
                base,
                seconds,
                sent / seconds,
                resources / seconds,
                Percentiles.millis(contracts.percentile(50)),
                Percentiles.millis(contracts.percentile(95)),
                Percentiles.millis(contracts.percentile(99)),
                Percentiles.millis(contracts.percentile(100)),
                concurrency,
                contracts.buildNanos.sum() / 1e6 / sent);
        return true;
    }

    private boolean failed() {
        String message = failure.get();
        if (message != null) {
            System.err.println(System.lineSeparator() + "Stopped: " + message);
        }
        return message != null;
    }

    /** What a batch measured: round trips, client-side work, resources written. */
    private static final class Stats {
        final List<Long> roundTrips = Collections.synchronizedList(new ArrayList<>());
        final LongAdder buildNanos = new LongAdder();
        final LongAdder resources = new LongAdder();

        long percentile(double percent) {
            long[] sorted = roundTrips.stream().mapToLong(Long::longValue).toArray();
            Arrays.sort(sorted);
            return Percentiles.of(sorted, percent);
        }
    }

    /** {@code size} transactions, made by {@code bundles} on the sending thread, sent in parallel. */
    private final class Batch {
        private final int size;
        private final IntFunction<Bundle> bundles;
        private final IntFunction<String> what;
        private final ProgressBar bar;
        private final boolean countResources;

        Batch(
                int size,
                IntFunction<Bundle> bundles,
                IntFunction<String> what,
                ProgressBar bar,
                boolean countResources) {
            this.size = size;
            this.bundles = bundles;
            this.what = what;
            this.bar = bar;
            this.countResources = countResources;
        }

        void run(int threads, Stats stats) throws InterruptedException {
            AtomicInteger next = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> workers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    workers.add(pool.submit(() -> {
                        int index;
                        while (failure.get() == null && (index = next.getAndIncrement()) < size) {
                            send(index, stats);
                        }
                        return null;
                    }));
                }
                for (Future<?> worker : workers) {
                    worker.get();
                }
            } catch (ExecutionException e) {
                failure.compareAndSet(null, "client error: " + e.getCause());
            } finally {
                pool.shutdownNow();
            }
        }

        private void send(int index, Stats stats) throws InterruptedException {
            // CPU time, not elapsed time: on a machine shared with the server, this thread waits
            // for a core as often as it runs.
            long started = CPU.getCurrentThreadCpuTime();
            Bundle bundle = bundles.apply(index);
            String body = FHIR.newJsonParser().encodeResourceToString(bundle);
            long built = CPU.getCurrentThreadCpuTime();
            long sent = System.nanoTime();
            HttpRequest request = HttpRequest.newBuilder(base)
                    .timeout(Duration.ofMinutes(5))
                    .header("Content-Type", "application/fhir+json; charset=utf-8")
                    .header("Accept", "application/fhir+json")
                    .header("Prefer", "return=minimal")
                    .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                    .build();
            HttpResponse<String> response;
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                failure.compareAndSet(null, what.apply(index) + ": " + e);
                return;
            }
            long answered = System.nanoTime();
            if (response.statusCode() / 100 != 2) {
                failure.compareAndSet(
                        null,
                        what.apply(index) + ": HTTP " + response.statusCode() + System.lineSeparator()
                                + pretty(response.body()));
                return;
            }
            stats.roundTrips.add(answered - sent);
            stats.buildNanos.add(built - started);
            stats.resources.add(bundle.getEntry().size());
            bar.advance(countResources ? bundle.getEntry().size() : 1);
        }
    }

    /** The answer as indented FHIR JSON (an OperationOutcome, normally), or as it came. */
    private static String pretty(String body) {
        try {
            return FHIR.newJsonParser()
                    .setPrettyPrint(true)
                    .encodeResourceToString(FHIR.newJsonParser().parseResource(body));
        } catch (DataFormatException e) {
            return body;
        }
    }
}
