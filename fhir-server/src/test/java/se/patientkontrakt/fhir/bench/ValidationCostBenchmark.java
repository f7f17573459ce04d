package se.patientkontrakt.fhir.bench;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.DomainResource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import se.patientkontrakt.fhir.FhirIT;
import se.patientkontrakt.fhir.PatientkontraktApplication;

/**
 * What profile validation costs on a contract write, to back the figures in BENCHMARKS.md and to
 * show whether {@code patientkontrakt.validation.benchmark-without-profiles=true} is ever worth considering.
 *
 * <p>A benchmark, not a test: it asserts only that every write succeeds, never on time, and runs
 * only with {@code ./mvnw -pl fhir-server verify -Pbench}. Two servers, validation on and off, run
 * side by side in this JVM on fresh H2 directories, and the requests alternate between them, so
 * JIT warm-up, garbage collection and whatever else the machine is doing fall on both alike.
 *
 * <p>HAPI skips the pre-commit hooks, and so validation, for an update that changes nothing; the
 * unchanged transaction therefore shows what a retried, idempotent load costs, and the changed one
 * (every entry gets a new narrative line, so every entry is stored and validated) what writing a
 * whole contract costs.
 *
 * <p>With {@code -Dbench.postgres=jdbc:postgresql://localhost:5432/} the two servers use the
 * PostgreSQL databases {@code pk_bench_validation_on} and {@code pk_bench_validation_off} under
 * that URL instead (they must exist, owned by the user in {@code bench.postgres-user}, default
 * {@code patientkontrakt}, same password), as in production, where the write itself costs more.
 */
class ValidationCostBenchmark {

    private static final FhirContext FHIR = FhirContext.forR4Cached();
    private static final com.sun.management.OperatingSystemMXBean CPU =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private static final String CONTRACT = "CarePlan/goran-karlsson-patientkontrakt";
    private static final String BUNDLE = "conformance/examples/Bundle-goran-karlsson-transaction.json";
    private static final int WARM_UP = Integer.getInteger("bench.warm-up", 50);
    private static final int WRITES = Integer.getInteger("bench.writes", 300);
    private static final int TRANSACTIONS = Integer.getInteger("bench.transactions", 30);

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void validationCostOnContractWrites() throws Exception {
        Bundle bundle = FHIR.newJsonParser().parseResource(Bundle.class, classpath(BUNDLE));
        try (Server on = start(true);
                Server off = start(false)) {
            for (Server server : List.of(on, off)) {
                time(server.transaction(json(bundle)), server);
                HttpResponse<String> read = http.send(server.get(CONTRACT), HttpResponse.BodyHandlers.ofString());
                server.contract = FHIR.newJsonParser().parseResource(CarePlan.class, read.body());
                server.etag = read.headers().firstValue("ETag").orElseThrow();
            }

            alternate(on, off, WARM_UP, Server::updateContract);
            List<Row> rows = new ArrayList<>();
            rows.add(new Row("contract update (PUT CarePlan)", alternate(on, off, WRITES, Server::updateContract)));
            // The first of these puts back the description the updates changed; the rest are no-ops.
            alternate(on, off, 5, server -> server.transaction(json(bundle)));
            rows.add(new Row(
                    "full contract transaction, unchanged",
                    alternate(on, off, TRANSACTIONS, server -> server.transaction(json(bundle)))));
            rows.add(new Row(
                    "full contract transaction, every entry changed",
                    alternate(
                            on,
                            off,
                            TRANSACTIONS,
                            server -> server.transaction(json(revised(bundle, ++server.writes))))));
            print(rows);
        }
    }

    /**
     * Runs {@code count} requests on each server, alternating, and returns the durations in ms
     * (index 0 validation on, 1 off) and the CPU time this process used during them.
     */
    private Measured alternate(Server on, Server off, int count, Request request)
            throws IOException, InterruptedException {
        Measured measured = new Measured(List.of(new ArrayList<>(), new ArrayList<>()), new double[2]);
        for (int i = 0; i < count; i++) {
            for (int side = 0; side < 2; side++) {
                Server server = side == 0 ? on : off;
                HttpRequest next = request.of(server);
                long cpu = CPU.getProcessCpuTime();
                measured.times().get(side).add(time(next, server));
                measured.cpuMillis()[side] += (CPU.getProcessCpuTime() - cpu) / 1e6;
            }
        }
        return measured;
    }

    /** Sends the request, checks for 2xx, and returns the round trip in milliseconds. */
    private double time(HttpRequest request, Server server) throws IOException, InterruptedException {
        long started = System.nanoTime();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        double millis = (System.nanoTime() - started) / 1e6;
        assertThat(response.statusCode())
                .as("%s %s: %s", request.method(), request.uri(), response.body())
                .isBetween(200, 299);
        response.headers().firstValue("ETag").ifPresent(etag -> server.etag = etag);
        return millis;
    }

    /** A copy of the bundle in which every resource's narrative ends with a revision line. */
    private static Bundle revised(Bundle bundle, int revision) {
        Bundle copy = bundle.copy();
        copy.getEntry().forEach(entry -> ((DomainResource) entry.getResource())
                .getText()
                .getDiv()
                .addTag("p")
                .addText("Revision " + revision));
        return copy;
    }

    private static Server start(boolean validation) throws IOException {
        Path dataDir =
                Files.createTempDirectory(Path.of("target"), "bench-validation-" + (validation ? "on-" : "off-"));
        // Command-line arguments, not builder properties: those are defaults, which
        // application-test.yaml and application.yaml would override.
        List<String> arguments = new ArrayList<>(List.of(
                "--server.port=0",
                "--patientkontrakt.data-dir=" + dataDir.toAbsolutePath(),
                "--patientkontrakt.demo.load-examples=false",
                "--patientkontrakt.validation.benchmark-without-profiles=" + !validation,
                "--logging.level.root=WARN"));
        List<String> profiles = new ArrayList<>(List.of(FhirIT.Profiles.profiles()));
        String postgres = System.getProperty("bench.postgres", "");
        if (!postgres.isBlank()) {
            String user = System.getProperty("bench.postgres-user", "patientkontrakt");
            profiles.add("postgres");
            arguments.add("--spring.datasource.url=" + postgres + "pk_bench_validation_" + (validation ? "on" : "off"));
            arguments.add("--spring.datasource.username=" + user);
            arguments.add("--spring.datasource.password=" + user);
        }
        ConfigurableApplicationContext context = new SpringApplicationBuilder(PatientkontraktApplication.class)
                .profiles(profiles.toArray(String[]::new))
                .run(arguments.toArray(String[]::new));
        return new Server(context);
    }

    private static void print(List<Row> rows) {
        System.out.printf(
                "%nValidation cost: %d contract updates, %d transactions each, after %d warm-up updates%n",
                WRITES, TRANSACTIONS, WARM_UP);
        System.out.printf(
                "Database: %s%n", System.getProperty("bench.postgres", "").isBlank() ? "H2 file" : "PostgreSQL");
        System.out.printf(
                "Machine: %d processors, Java %s (%s)%n",
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.runtime.version"),
                System.getProperty("java.vm.name"));
        String format = "| %-46s | %10s | %10s | %10s | %10s | %6s | %10s | %10s | %9s |%n";
        System.out.printf(
                format,
                "scenario",
                "on median",
                "on p95",
                "off median",
                "off p95",
                "ratio",
                "on CPU",
                "off CPU",
                "CPU ratio");
        System.out.printf(format, "---", "---", "---", "---", "---", "---", "---", "---", "---");
        for (Row row : rows) {
            double on = percentile(row.times().get(0), 50);
            double off = percentile(row.times().get(1), 50);
            System.out.printf(
                    format,
                    row.scenario(),
                    ms(on),
                    ms(percentile(row.times().get(0), 95)),
                    ms(off),
                    ms(percentile(row.times().get(1), 95)),
                    String.format("%.2fx", on / off),
                    ms(row.cpuPerRequest(0)),
                    ms(row.cpuPerRequest(1)),
                    String.format("%.2fx", row.cpuPerRequest(0) / row.cpuPerRequest(1)));
        }
        System.out.println("CPU: this process's CPU time during each request, mean per request (both servers and the"
                + " client share the process; work that is not the request's, such as garbage collection, falls"
                + " on both sides alike)");
    }

    /** Nearest-rank percentile. */
    private static double percentile(List<Double> values, int percent) {
        List<Double> sorted = values.stream().sorted().toList();
        int rank = (int) Math.ceil(percent / 100.0 * sorted.size());
        return sorted.get(Math.max(rank - 1, 0));
    }

    private static String ms(double millis) {
        return String.format("%.1f ms", millis);
    }

    private static String json(Bundle bundle) {
        return FHIR.newJsonParser().encodeResourceToString(bundle);
    }

    private static String classpath(String name) throws IOException {
        try (InputStream in = ValidationCostBenchmark.class.getClassLoader().getResourceAsStream(name)) {
            assertThat(in).as(name + " on the classpath").isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Round trips in ms per side, and the process CPU time in ms summed per side. */
    private record Measured(List<List<Double>> times, double[] cpuMillis) {}

    private record Row(String scenario, Measured measured) {
        List<List<Double>> times() {
            return measured.times();
        }

        double cpuPerRequest(int side) {
            return measured.cpuMillis()[side] / measured.times().get(side).size();
        }
    }

    /** Builds the next request for a server; called outside the timed section. */
    private interface Request {
        HttpRequest of(Server server);
    }

    /** One running application, with the contract's current version as last seen. */
    private static final class Server implements AutoCloseable {
        private final ConfigurableApplicationContext context;
        private final String base;
        private CarePlan contract;
        private String etag;
        private int writes;

        Server(ConfigurableApplicationContext context) {
            this.context = context;
            this.base = "http://localhost:" + context.getEnvironment().getProperty("local.server.port") + "/fhir";
        }

        /** A PUT of the contract with a new description, conditional on the version last seen. */
        HttpRequest updateContract() {
            contract.setDescription("Benchmark write " + ++writes);
            String body = FHIR.newJsonParser().encodeResourceToString(contract);
            return request(CONTRACT)
                    .header("If-Match", etag)
                    .PUT(HttpRequest.BodyPublishers.ofString(body))
                    .build();
        }

        /** A transaction Bundle, posted to the server's base. */
        HttpRequest transaction(String bundle) {
            return request("").POST(HttpRequest.BodyPublishers.ofString(bundle)).build();
        }

        HttpRequest get(String path) {
            return request(path).GET().build();
        }

        private HttpRequest.Builder request(String path) {
            return HttpRequest.newBuilder(URI.create(path.isEmpty() ? base : base + "/" + path))
                    .header("Content-Type", "application/fhir+json")
                    .header("Accept", "application/fhir+json");
        }

        @Override
        public void close() {
            context.close();
        }
    }
}
