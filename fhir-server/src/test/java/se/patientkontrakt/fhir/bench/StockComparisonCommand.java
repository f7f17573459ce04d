package se.patientkontrakt.fhir.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * The client of the side-by-side benchmark against a stock HAPI FHIR JPA server
 * ({@code scripts/bench-stock.sh}): the same requests to this service or to the stock server.
 *
 * <ol>
 *   <li>New contracts: Göran's transaction ({@code examples/Bundle-goran-karlsson-transaction.json})
 *       re-identified for each contract — his Patient, contact team, goals and contract get ids of
 *       their own, the Patient a fresh valid personnummer ({@link PersonalNumbers}) with the birth
 *       date and sex it gives; the directory (units, practitioners, roles) is the same in every
 *       Bundle, as a real EHR sends it. {@code --warm-up} of them one at a time first (they also
 *       store the shared directory), then {@code --contracts} from {@code --concurrency} clients.
 *   <li>Reads by id of those contracts ({@code GET CarePlan/{id}}), one client.
 *   <li>Portal views of their patients, one client: this service's own
 *       ({@code GET Patient/{id}/$patientkontrakt}), or on a stock server the same resources by
 *       one {@code CarePlan} search with {@code _include} ({@code --portal-view include}).
 *   <li>Contract updates: the contract read (not measured), its {@code description} changed and
 *       {@code PUT} back with {@code If-Match}, one client.
 * </ol>
 *
 * <p>Prints a table per phase and one {@code summary} line of {@code key=value} pairs for the
 * script. Run with {@code ./mvnw -q -pl fhir-server -Pbench test-compile exec:java@stock-comparison
 * -Dexec.args="--base-url http://127.0.0.1:8080/fhir"}.
 */
public final class StockComparisonCommand {

    static final String USAGE =
            """
            options (all optional):
              --base-url URL        FHIR base URL of the server (default http://127.0.0.1:8080/fhir)
              --portal-view KIND    operation: GET Patient/{id}/$patientkontrakt (this service, default);
                                    include: the same resources by one CarePlan search with _include
                                    (a stock server)
              --contracts N         new contracts measured (default 200)
              --concurrency C       clients writing them at once (default 8)
              --warm-up W           contracts written one at a time before them, not measured (default 20)
              --read-warm-up V      reads by id before the measured ones, and portal views before
                                    theirs, not measured (default W): a server's read path is only
                                    compiled by the JIT after some thousands of requests
              --reads R             reads by id (default 300)
              --portal-views P      portal views (default 300)
              --updates U           contract updates (default 100)
              --seed S              seed of the personnummer drawn (default 42)""";

    private static final String TEMPLATE = "conformance/examples/Bundle-goran-karlsson-transaction.json";
    private static final String TEMPLATE_ID = "goran-karlsson";
    private static final String TEMPLATE_PERSONNUMMER = "195109031376";
    private static final String TEMPLATE_BIRTH_DATE = "1951-09-03";
    private static final String TEMPLATE_GENDER = "\"gender\": \"male\"";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What {@code $patientkontrakt} returns, as one search of a stock server: the patient's active
     * contracts with the patient, the contact team, the goals and the activities' performers, then
     * the team's members, the roles' practitioners and units, and the units' care givers (what
     * {@code ContractGraph} follows, three steps deep).
     */
    private static final String PORTAL_INCLUDES = "&status=active&category="
            + encode(Vocabulary.CAREPLAN_CATEGORY + "|" + Vocabulary.CATEGORY_PATIENTKONTRAKT)
            + "&_include=CarePlan:subject&_include=CarePlan:care-team&_include=CarePlan:goal"
            + "&_include=CarePlan:performer&_include:iterate=CareTeam:participant"
            + "&_include:iterate=PractitionerRole:practitioner&_include:iterate=PractitionerRole:organization"
            + "&_include:iterate=Organization:partof";

    /** One phase's outcome: latencies of the successful requests, sorted, and the errors. */
    private record Phase(String name, long[] sortedNanos, long errors, double seconds, String firstError) {

        long percentile(double percent) {
            return sortedNanos.length == 0 ? 0 : Percentiles.of(sortedNanos, percent);
        }
    }

    @FunctionalInterface
    private interface RequestMaker {
        /** The {@code index}-th request of a phase; anything asked first to make it is not measured. */
        HttpRequest make(int index) throws IOException, InterruptedException;
    }

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private final String base;

    private StockComparisonCommand(String base) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        Options options;
        boolean includeSearch;
        int contracts;
        int concurrency;
        int warmUp;
        int readWarmUp;
        int reads;
        int portalViews;
        int updates;
        long seed;
        try {
            options = Options.parse(
                    args,
                    List.of(
                            "base-url",
                            "portal-view",
                            "contracts",
                            "concurrency",
                            "warm-up",
                            "read-warm-up",
                            "reads",
                            "portal-views",
                            "updates",
                            "seed"));
            String portalView = options.string("portal-view", "operation");
            if (!List.of("operation", "include").contains(portalView)) {
                throw new Options.UsageException("--portal-view is 'operation' or 'include', not '" + portalView + "'");
            }
            includeSearch = portalView.equals("include");
            contracts = options.positive("contracts", 200);
            concurrency = options.positive("concurrency", 8);
            warmUp = options.positive("warm-up", 20);
            readWarmUp = options.positive("read-warm-up", warmUp);
            reads = options.positive("reads", 300);
            portalViews = options.positive("portal-views", 300);
            updates = options.positive("updates", 100);
            seed = options.number("seed", 42);
        } catch (Options.UsageException e) {
            System.err.println(e.getMessage() + System.lineSeparator() + USAGE);
            System.exit(2);
            return;
        }
        StockComparisonCommand command =
                new StockComparisonCommand(options.string("base-url", "http://127.0.0.1:8080/fhir"));
        System.out.printf(
                "Side by side at %s: %d new contracts from %d clients after %d one at a time, %d reads by id and %d"
                        + " portal views (%s) after %d of each, %d contract updates; %d processors here%n%n",
                command.base,
                contracts,
                concurrency,
                warmUp,
                reads,
                portalViews,
                includeSearch ? "CarePlan search with _include" : "$patientkontrakt",
                readWarmUp,
                updates,
                Runtime.getRuntime().availableProcessors());

        String template = template();
        PersonalNumbers numbers = new PersonalNumbers(seed, LocalDate.now());
        List<String> bundles = new ArrayList<>();
        for (int i = 0; i < warmUp + contracts; i++) {
            bundles.add(contract(template, i, numbers));
        }
        Phase warmUpWrites = command.run("warm-up contracts", warmUp, 1, i -> command.transaction(bundles.get(i)));
        if (warmUpWrites.errors() == warmUp) {
            System.err.println("Every warm-up contract was refused: " + warmUpWrites.firstError());
            System.exit(1);
        }
        List<Phase> phases = new ArrayList<>();
        phases.add(command.run(
                "new contracts", contracts, concurrency, i -> command.transaction(bundles.get(warmUp + i))));

        SplittableRandom random = new SplittableRandom(seed);
        RequestMaker read = i -> command.get("/CarePlan/" + contractId(warmUp + random.nextInt(contracts)));
        command.run("warm-up reads", readWarmUp, 1, read);
        phases.add(command.run("read by id", reads, 1, read));
        RequestMaker portal = i -> {
            String patient = patientId(warmUp + random.nextInt(contracts));
            return command.get(
                    includeSearch
                            ? "/CarePlan?subject=" + encode("Patient/" + patient) + PORTAL_INCLUDES
                            : "/Patient/" + patient + "/$patientkontrakt");
        };
        command.run("warm-up portal views", readWarmUp, 1, portal);
        phases.add(command.run("portal view", portalViews, 1, portal));
        phases.add(command.run("contract update", updates, 1, i -> command.update(contractId(warmUp + i % contracts))));

        String row = "| %-17s | %8s | %6s | %7s | %7s | %7s | %7s | %8s |%n";
        System.out.printf(row, "phase", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms");
        System.out.printf(row, "---", "---:", "---:", "---:", "---:", "---:", "---:", "---:");
        for (Phase phase : phases) {
            long[] nanos = phase.sortedNanos();
            System.out.printf(
                    row,
                    phase.name(),
                    nanos.length + phase.errors(),
                    phase.errors(),
                    String.format("%.1f", nanos.length / phase.seconds()),
                    Percentiles.millis(phase.percentile(50)),
                    Percentiles.millis(phase.percentile(95)),
                    Percentiles.millis(phase.percentile(99)),
                    nanos.length == 0 ? "-" : Percentiles.millis(nanos[nanos.length - 1]));
        }
        List<Phase> all = new ArrayList<>(phases);
        all.add(warmUpWrites);
        all.stream()
                .filter(phase -> phase.firstError() != null)
                .forEach(phase -> System.out.println(phase.name() + ", first error: " + phase.firstError()));

        Phase writes = phases.get(0);
        System.out.printf(
                "%nsummary contracts_per_s=%.1f contracts_p50=%s read_p50=%s read_p99=%s portal_p50=%s portal_p99=%s"
                        + " update_p50=%s errors=%d%n",
                writes.sortedNanos().length / writes.seconds(),
                Percentiles.millis(writes.percentile(50)),
                Percentiles.millis(phases.get(1).percentile(50)),
                Percentiles.millis(phases.get(1).percentile(99)),
                Percentiles.millis(phases.get(2).percentile(50)),
                Percentiles.millis(phases.get(2).percentile(99)),
                Percentiles.millis(phases.get(3).percentile(50)),
                all.stream().mapToLong(Phase::errors).sum());
    }

    /** The template with its identity replaced for contract {@code index}: ids, personnummer, birth date, sex. */
    private static String contract(String template, int index, PersonalNumbers numbers) {
        PersonalNumbers.PersonalNumber number = numbers.next();
        while (number.samordningsnummer()) {
            number = numbers.next();
        }
        String value = number.value();
        return template.replace(TEMPLATE_ID, patientId(index))
                .replace(TEMPLATE_PERSONNUMMER, value)
                // The narrative's "19510903-1376".
                .replace(
                        TEMPLATE_PERSONNUMMER.substring(0, 8) + "-" + TEMPLATE_PERSONNUMMER.substring(8),
                        value.substring(0, 8) + "-" + value.substring(8))
                .replace(TEMPLATE_BIRTH_DATE, number.birthDate().toString())
                .replace(TEMPLATE_GENDER, "\"gender\": \"" + (number.female() ? "female" : "male") + "\"");
    }

    private static String patientId(int index) {
        return TEMPLATE_ID + "-" + index;
    }

    private static String contractId(int index) {
        return patientId(index) + "-patientkontrakt";
    }

    /** Göran's transaction, checked to hold every value {@link #contract} replaces. */
    private static String template() throws IOException {
        String template;
        try (InputStream in = StockComparisonCommand.class.getClassLoader().getResourceAsStream(TEMPLATE)) {
            if (in == null) {
                throw new IOException(TEMPLATE + " is not on the classpath");
            }
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        for (String expected : List.of(
                "\"" + TEMPLATE_ID + "-patientkontrakt\"",
                TEMPLATE_PERSONNUMMER,
                TEMPLATE_BIRTH_DATE,
                TEMPLATE_GENDER)) {
            if (!template.contains(expected)) {
                throw new IOException(TEMPLATE + " no longer holds " + expected + ": adapt StockComparisonCommand");
            }
        }
        return template;
    }

    private HttpRequest transaction(String bundle) {
        return HttpRequest.newBuilder(URI.create(base))
                .timeout(Duration.ofMinutes(2))
                .header("Content-Type", "application/fhir+json")
                .header("Accept", "application/fhir+json")
                .POST(HttpRequest.BodyPublishers.ofString(bundle))
                .build();
    }

    private HttpRequest get(String path) {
        return HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofMinutes(1))
                .header("Accept", "application/fhir+json")
                .GET()
                .build();
    }

    /** The contract as it is now (read, not measured), its description changed, sent back with If-Match. */
    private HttpRequest update(String contractId) throws IOException, InterruptedException {
        HttpResponse<String> current = http.send(get("/CarePlan/" + contractId), HttpResponse.BodyHandlers.ofString());
        String etag = current.headers()
                .firstValue("ETag")
                .orElseThrow(() ->
                        new IOException("HTTP " + current.statusCode() + " and no ETag for CarePlan/" + contractId));
        ObjectNode contract = (ObjectNode) JSON.readTree(current.body());
        contract.put("description", "Uppdaterat " + System.nanoTime());
        return HttpRequest.newBuilder(URI.create(base + "/CarePlan/" + contractId))
                .timeout(Duration.ofMinutes(1))
                .header("Content-Type", "application/fhir+json")
                .header("Accept", "application/fhir+json")
                .header("If-Match", etag)
                .PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(contract)))
                .build();
    }

    /** Sends requests 0 to {@code count} − 1 from {@code clients} at once, each client taking the next. */
    private Phase run(String name, int count, int clients, RequestMaker requests) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        TimedClients.Outcome outcome = TimedClients.run(http, clients, c -> () -> {
            int i = next.getAndIncrement();
            return i < count ? requests.make(i) : null;
        });
        return new Phase(name, outcome.sortedNanos(), outcome.errors(), outcome.seconds(), outcome.firstError());
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
