package se.patientkontrakt.fhir.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import se.patientkontrakt.fhir.bench.SyntheticPopulation.Contract;
import se.patientkontrakt.fhir.contract.SwedishIdentifiers;
import se.patientkontrakt.fhir.hapi.FollowUpMeasure;

/**
 * Read latency of the portal view and the work-list searches, against any server that holds a
 * population written by {@link LoadPopulationCommand}: {@code --concurrency} clients send
 * requests back to back (closed loop) for {@code --duration} seconds, or {@code --requests} in
 * all, per scenario, after a warm-up whose requests are not counted. The patients, roles and
 * units asked for are drawn from the same synthetic population (same {@code --count},
 * {@code --seed} and {@code --today}), not looked up on the server.
 *
 * <p>For each scenario it prints throughput, the 50th/95th/99th percentile and maximum latency
 * of the successful requests (nearest rank over every sample), and the number of errors (an
 * answer other than 2xx, or no answer); the first error of a scenario is printed below the
 * table. Run with {@code ./mvnw -q -pl fhir-server -Pbench test-compile exec:java@read-latency
 * -Dexec.args="--base-url http://localhost:8080/fhir --count 1000 --seed 42"}.
 */
public final class ReadLatencyCommand {

    static final String USAGE =
            """
            options (all optional):
              --base-url URL      FHIR base URL of the server (default http://localhost:8080/fhir)
              --count N           size of the loaded population (default 1000)
              --seed S            seed it was loaded with (default 42)
              --today YYYY-MM-DD  the --today it was loaded with, also the work list's date (default: today)
              --concurrency C     clients sending at once (default 4)
              --duration SECONDS  measured time per scenario (default 30)
              --requests R        measure R requests per scenario instead of a duration
              --warmup SECONDS    unmeasured requests before each scenario (default 5)
              --as care           send each request with a care user's token (the test issuer's,
                                  valid for two hours) whose commission is at the unit the
                                  request concerns: the patient's contract's unit, the fast
                                  vårdkontakt's unit, the unit searched for, or for the overdue
                                  list a vårdcentral of the region; for a server that trusts
                                  fhir-server/src/test/resources/auth/issuer-public-key.pem
              --scenarios LIST    comma-separated names (default: all that only read):
                                  portal, portal-by-identifier, national-view,
                                  document, pdf, overdue-worklist,
                                  by-fast-vardkontakt, by-unit, by-patient-identifier,
                                  and, only when named: update-next-step (writes: moves an
                                  active contract's promised date a day later, or back, with
                                  If-Match) and evaluate-measure (a follow-up report over the
                                  whole database: each of the seven measures in turn, for the
                                  calendar year of --today)""";

    private static final String PERSONNUMMER = SwedishIdentifiers.PERSONNUMMER;
    private static final List<String> MEASURES =
            Arrays.stream(FollowUpMeasure.values()).map(FollowUpMeasure::id).toList();
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One kind of request; {@code request} draws the next one (anything it must ask first, such as
     * the current version for an update, is asked there and not measured). A scenario that writes,
     * or that reads the whole database, runs only when named in {@code --scenarios}.
     */
    private record Scenario(String name, String shape, boolean onlyWhenNamed, RequestMaker request) {

        /** A read: GET of the path drawn, relative to the base URL, as the unit drawn with it. */
        static Scenario read(String name, String shape, Function<SplittableRandom, Target> target) {
            return read(name, shape, "application/fhir+json", target);
        }

        /** A read asking for another format (e.g. a PDF). */
        static Scenario read(String name, String shape, String accept, Function<SplittableRandom, Target> target) {
            return new Scenario(name, "GET " + shape + " (Accept: " + accept + ")", false, (command, random) -> {
                Target drawn = target.apply(random);
                return command.get(drawn.path(), drawn.unit(), accept);
            });
        }
    }

    /** A request path, and the unit (HSA-id) whose care user asks it when tokens are sent. */
    private record Target(String path, String unit) {}

    /** Something to ask about, and the unit that would ask. */
    private record Asked(String value, String unit) {
        Target at(String path) {
            return new Target(path, unit);
        }
    }

    @FunctionalInterface
    private interface RequestMaker {
        HttpRequest next(ReadLatencyCommand command, SplittableRandom random) throws IOException, InterruptedException;
    }

    /** An active contract's open next step: the CarePlan, the index of the activity, its promised date. */
    private record NextStep(String contractId, int activity, LocalDate promised, String unit) {}

    /** What the population holds, as the benchmark needs it. */
    private record Targets(
            List<Asked> patients,
            List<Asked> personnummer,
            List<Asked> roles,
            List<Asked> units,
            List<String> vardcentraler,
            List<NextStep> nextSteps) {

        static Targets of(SyntheticPopulation population) {
            List<NextStep> nextSteps = new ArrayList<>();
            List<Asked> patients = new ArrayList<>();
            List<Asked> personnummer = new ArrayList<>();
            TreeMap<String, String> roles = new TreeMap<>();
            TreeMap<String, String> units = new TreeMap<>();
            for (int i = 0; i < population.count(); i++) {
                Contract contract = population.contract(i);
                String unit = contract.managingUnit().hsaId();
                patients.add(new Asked(contract.patientId(), unit));
                if (!contract.number().samordningsnummer()) {
                    personnummer.add(new Asked(contract.number().value(), unit));
                }
                if (contract.vardkontakt() != null) {
                    roles.put(
                            contract.vardkontakt().roleId(),
                            contract.vardkontakt().unit().hsaId());
                }
                units.put(contract.managingUnit().id(), unit);
                List<SyntheticPopulation.Activity> activities = contract.activities();
                for (int a = 0; a < activities.size(); a++) {
                    SyntheticPopulation.Activity activity = activities.get(a);
                    if (contract.status() == SyntheticPopulation.ContractStatus.ACTIVE
                            && activity.kind().equals("next-step")
                            && activity.status().equals("scheduled")) {
                        nextSteps.add(new NextStep(contract.contractId(), a, activity.end(), unit));
                    }
                }
            }
            List<String> vardcentraler = population.units().stream()
                    .filter(unit -> unit.kind() == SyntheticPopulation.UnitKind.VARDCENTRAL)
                    .map(SyntheticPopulation.Unit::hsaId)
                    .toList();
            return new Targets(patients, personnummer, asked(roles), asked(units), vardcentraler, nextSteps);
        }

        private static List<Asked> asked(Map<String, String> unitsByValue) {
            return unitsByValue.entrySet().stream()
                    .map(e -> new Asked(e.getKey(), e.getValue()))
                    .toList();
        }
    }

    private record Result(long requests, long errors, double seconds, long[] sortedNanos, String firstError) {}

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private final String base;
    private final int concurrency;
    private final long seed;
    private final CareTokens tokens;

    private ReadLatencyCommand(String base, int concurrency, long seed, CareTokens tokens) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.concurrency = concurrency;
        this.seed = seed;
        this.tokens = tokens;
    }

    public static void main(String[] args) throws InterruptedException {
        Options options;
        int count;
        long seed;
        LocalDate today;
        int concurrency;
        int duration;
        int requests;
        int warmup;
        List<String> wanted;
        try {
            options = Options.parse(
                    args,
                    List.of(
                            "base-url",
                            "count",
                            "seed",
                            "today",
                            "concurrency",
                            "duration",
                            "requests",
                            "warmup",
                            "scenarios",
                            "as"));
            if (options.has("as") && !options.string("as", "").equals("care")) {
                throw new Options.UsageException("--as takes only 'care'");
            }
            count = options.positive("count", 1000);
            seed = options.number("seed", 42);
            today = options.date("today", LocalDate.now());
            concurrency = options.positive("concurrency", 4);
            duration = options.positive("duration", 30);
            requests = options.has("requests") ? options.positive("requests", 1) : 0;
            warmup = (int) options.number("warmup", 5);
            wanted = options.has("scenarios")
                    ? Arrays.asList(options.string("scenarios", "").split(","))
                    : List.of();
        } catch (Options.UsageException e) {
            System.err.println(e.getMessage() + System.lineSeparator() + USAGE);
            System.exit(2);
            return;
        }

        System.err.printf("Deriving the targets from %d contracts of seed %d…%n", count, seed);
        Targets targets = Targets.of(new SyntheticPopulation(seed, count, today));
        List<Scenario> scenarios = scenarios(targets, today);
        List<String> unknown = wanted.stream()
                .filter(name -> scenarios.stream().noneMatch(s -> s.name().equals(name)))
                .toList();
        if (!unknown.isEmpty()) {
            System.err.println("unknown scenarios " + unknown + System.lineSeparator() + USAGE);
            System.exit(2);
        }

        ReadLatencyCommand command = new ReadLatencyCommand(
                options.string("base-url", "http://localhost:8080/fhir"),
                concurrency,
                seed,
                options.has("as") ? new CareTokens(Duration.ofHours(2)) : null);
        System.out.printf(
                "Read latency at %s%s: population N=%d (seed %d, today %s), %d client%s, %s per scenario after %d s"
                        + " warm-up; %d processors here%n%n",
                command.base,
                command.tokens == null ? "" : " as care users of the unit asked about",
                count,
                seed,
                today,
                concurrency,
                concurrency == 1 ? "" : "s",
                requests > 0 ? requests + " requests" : duration + " s",
                warmup,
                Runtime.getRuntime().availableProcessors());
        String row = "| %-22s | %8s | %6s | %7s | %7s | %7s | %7s | %8s |%n";
        System.out.printf(row, "scenario", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms");
        System.out.printf(row, "---", "---:", "---:", "---:", "---:", "---:", "---:", "---:");
        List<String> errors = new ArrayList<>();
        for (Scenario scenario : scenarios) {
            if (wanted.isEmpty() ? scenario.onlyWhenNamed() : !wanted.contains(scenario.name())) {
                continue;
            }
            if (warmup > 0) {
                command.measure(scenario, warmup, 0);
            }
            Result result = command.measure(scenario, duration, requests);
            long[] nanos = result.sortedNanos();
            boolean any = nanos.length > 0;
            System.out.printf(
                    row,
                    scenario.name(),
                    result.requests(),
                    result.errors(),
                    String.format("%.1f", result.requests() / result.seconds()),
                    any ? Percentiles.millis(Percentiles.of(nanos, 50)) : "-",
                    any ? Percentiles.millis(Percentiles.of(nanos, 95)) : "-",
                    any ? Percentiles.millis(Percentiles.of(nanos, 99)) : "-",
                    any ? Percentiles.millis(nanos[nanos.length - 1]) : "-");
            if (result.firstError() != null) {
                errors.add(scenario.name() + ": " + result.firstError());
            }
        }
        System.out.println();
        for (Scenario scenario : scenarios) {
            System.out.println(scenario.name() + ": " + scenario.shape());
        }
        if (!errors.isEmpty()) {
            System.out.println(System.lineSeparator() + "First error per scenario:");
            errors.forEach(System.out::println);
        }
    }

    private static List<Scenario> scenarios(Targets targets, LocalDate today) {
        return List.of(
                Scenario.read("portal", "/Patient/{id}/$patientkontrakt", random -> {
                    Asked patient = pick(random, targets.patients());
                    return patient.at("/Patient/" + patient.value() + "/$patientkontrakt");
                }),
                Scenario.read(
                        "portal-by-identifier",
                        "/Patient/$patientkontrakt?identifier=" + PERSONNUMMER + "|{pnr}",
                        random -> {
                            Asked number = pick(random, targets.personnummer());
                            return number.at("/Patient/$patientkontrakt?identifier="
                                    + encode(PERSONNUMMER + "|" + number.value()));
                        }),
                Scenario.read("national-view", "/Patient/{id}/$getcareplans", random -> {
                    Asked patient = pick(random, targets.patients());
                    return patient.at("/Patient/" + patient.value() + "/$getcareplans");
                }),
                Scenario.read("document", "/CarePlan/{contract}/$document", random -> {
                    Asked patient = pick(random, targets.patients());
                    return patient.at("/CarePlan/" + patient.value() + "-patientkontrakt/$document");
                }),
                Scenario.read("pdf", "/CarePlan/{contract}/$document", "application/pdf", random -> {
                    Asked patient = pick(random, targets.patients());
                    return patient.at("/CarePlan/" + patient.value() + "-patientkontrakt/$document");
                }),
                Scenario.read(
                        "overdue-worklist",
                        "/CarePlan?next-step-due=lt" + today
                                + "&status=active&_sort=next-step-due&_count=20&_include=CarePlan:subject",
                        random -> new Target(
                                "/CarePlan?next-step-due=lt" + today
                                        + "&status=active&_sort=next-step-due&_count=20&_include=CarePlan:subject",
                                pick(random, targets.vardcentraler()))),
                Scenario.read(
                        "by-fast-vardkontakt",
                        "/CarePlan?care-team.fast-vardkontakt=PractitionerRole/{role}&_include=CarePlan:care-team",
                        random -> {
                            Asked role = pick(random, targets.roles());
                            return role.at("/CarePlan?care-team.fast-vardkontakt="
                                    + encode("PractitionerRole/" + role.value())
                                    + "&_include=CarePlan:care-team");
                        }),
                Scenario.read("by-unit", "/CarePlan?care-team.managing-organization=Organization/{unit}", random -> {
                    Asked unit = pick(random, targets.units());
                    return unit.at(
                            "/CarePlan?care-team.managing-organization=" + encode("Organization/" + unit.value()));
                }),
                Scenario.read(
                        "by-patient-identifier",
                        "/CarePlan?subject:Patient.identifier=" + PERSONNUMMER + "|{pnr}",
                        random -> {
                            Asked number = pick(random, targets.personnummer());
                            return number.at("/CarePlan?subject:Patient.identifier="
                                    + encode(PERSONNUMMER + "|" + number.value()));
                        }),
                new Scenario(
                        "update-next-step",
                        "GET /CarePlan/{id} (not measured), then PATCH /CarePlan/{id} with If-Match: the promised"
                                + " date a day later, or back",
                        true,
                        (command, random) -> command.moveNextStep(pick(random, targets.nextSteps()))),
                new Scenario(
                        "evaluate-measure",
                        "GET /Measure/{pk-measure}/$evaluate-measure?periodStart={year}-01-01&periodEnd={year}-12-31",
                        true,
                        (command, random) -> command.get(
                                "/Measure/" + pick(random, MEASURES) + "/$evaluate-measure?periodStart="
                                        + today.getYear() + "-01-01&periodEnd=" + today.getYear() + "-12-31",
                                pick(random, targets.vardcentraler()))));
    }

    private HttpRequest get(String path, String unit) {
        return get(path, unit, "application/fhir+json");
    }

    private HttpRequest get(String path, String unit, String accept) {
        return authorised(HttpRequest.newBuilder(URI.create(base + path)), unit)
                .timeout(Duration.ofMinutes(1))
                .header("Accept", accept)
                .GET()
                .build();
    }

    private HttpRequest.Builder authorised(HttpRequest.Builder request, String unit) {
        return tokens == null ? request : request.header("Authorization", "Bearer " + tokens.of(unit));
    }

    /**
     * A JSON Patch of the next step's promised date (the end of its scheduled period) with the
     * version just read in {@code If-Match}: a day later than the population put it, or back.
     */
    private HttpRequest moveNextStep(NextStep step) throws IOException, InterruptedException {
        HttpResponse<String> current =
                http.send(get("/CarePlan/" + step.contractId(), step.unit()), HttpResponse.BodyHandlers.ofString());
        String etag = current.headers()
                .firstValue("ETag")
                .orElseThrow(() -> new IOException(
                        "HTTP " + current.statusCode() + " and no ETag for CarePlan/" + step.contractId()));
        String end = JSON.readTree(current.body())
                .path("activity")
                .path(step.activity())
                .path("detail")
                .path("scheduledPeriod")
                .path("end")
                .asText();
        LocalDate moved =
                end.startsWith(step.promised().toString()) ? step.promised().plusDays(1) : step.promised();
        String patch = "[{\"op\":\"replace\",\"path\":\"/activity/" + step.activity()
                + "/detail/scheduledPeriod/end\",\"value\":\"" + moved + "\"}]";
        return authorised(HttpRequest.newBuilder(URI.create(base + "/CarePlan/" + step.contractId())), step.unit())
                .timeout(Duration.ofMinutes(1))
                .header("Accept", "application/fhir+json")
                .header("Content-Type", "application/json-patch+json")
                .header("If-Match", etag)
                .method("PATCH", HttpRequest.BodyPublishers.ofString(patch))
                .build();
    }

    /**
     * Runs the scenario from every client until {@code seconds} have passed or, when
     * {@code requests} is positive, until that many have been sent.
     */
    private Result measure(Scenario scenario, int seconds, int requests) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        AtomicLong remaining = new AtomicLong(requests > 0 ? requests : Long.MAX_VALUE);
        TimedClients.Outcome outcome = TimedClients.run(http, concurrency, c -> {
            SplittableRandom random =
                    new SplittableRandom(seed * 31 + c + scenario.name().hashCode());
            return () -> (requests > 0 || System.nanoTime() < deadline) && remaining.getAndDecrement() > 0
                    ? scenario.request().next(this, random)
                    : null;
        });
        long[] nanos = outcome.sortedNanos();
        return new Result(
                nanos.length + outcome.errors(), outcome.errors(), outcome.seconds(), nanos, outcome.firstError());
    }

    private static <T> T pick(SplittableRandom random, List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
