package se.patientkontrakt.fhir.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CareTeam;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.FhirIT;

/**
 * A burst of malformed, mistyped and oversized requests sent at the same time as valid contract
 * writes: each bad request gets its own 4xx, and every valid write still succeeds and is stored.
 * A bad request must cost the server no more than its own answer.
 */
class BadInputUnderLoadIT extends FhirIT {

    private static final int VALID_CONTRACTS = 12;
    private static final int BAD_PER_KIND = 10;
    private static final int CLIENTS = 8;

    private record Sent(String kind, int expected, int status, String body, ContractFixture contract) {}

    @Test
    void validWritesSucceedAmidABurstOfBadRequests() throws Exception {
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
        byte[] oversized = oversizedPatient();
        List<Callable<Sent>> requests = new ArrayList<>();
        for (int i = 0; i < VALID_CONTRACTS; i++) {
            ContractFixture contract = ContractFixture.create(fhirContext);
            String body = json(contract.transaction());
            requests.add(() ->
                    send(http, "valid contract", 200, "", FHIR_JSON, body.getBytes(StandardCharsets.UTF_8), contract));
        }
        for (int i = 0; i < BAD_PER_KIND; i++) {
            requests.add(() -> send(
                    http,
                    "malformed JSON",
                    400,
                    "/Patient",
                    FHIR_JSON,
                    "{\"resourceType\":\"Patient\",\"name\":[{\"family\":".getBytes(StandardCharsets.UTF_8),
                    null));
            requests.add(() -> send(
                    http,
                    "not FHIR",
                    415,
                    "/Patient",
                    "text/plain",
                    "resourceType=Patient".getBytes(StandardCharsets.UTF_8),
                    null));
            requests.add(() -> send(http, "oversized", 413, "/Patient", FHIR_JSON, oversized, null));
            requests.add(() -> send(
                    http,
                    "broken transaction",
                    400,
                    "",
                    FHIR_JSON,
                    "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"resource\":"
                            .getBytes(StandardCharsets.UTF_8),
                    null));
        }
        // Interleave: a valid write between every few bad ones.
        java.util.Collections.shuffle(requests, new java.util.Random(42));

        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        List<Sent> answers = new ArrayList<>();
        try {
            List<Future<Sent>> futures = pool.invokeAll(requests, 5, TimeUnit.MINUTES);
            for (Future<Sent> future : futures) {
                answers.add(future.get());
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(answers).allSatisfy(sent -> assertThat(sent.status())
                .as("%s: %s", sent.kind(), sent.body())
                .isEqualTo(sent.expected()));
        assertThat(answers.stream().filter(s -> s.expected() >= 400))
                .allSatisfy(sent -> assertThat(sent.body()).contains("OperationOutcome"));
        for (Sent sent : answers.stream().filter(s -> s.contract() != null).toList()) {
            CarePlan stored = read("/" + sent.contract().contractId(), CarePlan.class);
            assertThat(stored.getTitle()).isEqualTo(sent.contract().contract().getTitle());
            assertThat(read("/" + sent.contract().teamId(), CareTeam.class).getParticipant())
                    .isNotEmpty();
        }
    }

    private Sent send(
            HttpClient http,
            String kind,
            int expected,
            String path,
            String contentType,
            byte[] body,
            ContractFixture contract)
            throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/fhir" + path))
                .timeout(Duration.ofMinutes(2))
                .header("Content-Type", contentType)
                .header("Accept", FHIR_JSON)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        return new Sent(kind, expected, response.statusCode(), response.body(), contract);
    }

    private static byte[] oversizedPatient() {
        String text = "<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\">" + "x".repeat(1_100_000) + "</div>";
        return ("{\"resourceType\":\"Patient\",\"text\":{\"status\":\"generated\",\"div\":\"" + text + "\"}}")
                .getBytes(StandardCharsets.UTF_8);
    }
}
