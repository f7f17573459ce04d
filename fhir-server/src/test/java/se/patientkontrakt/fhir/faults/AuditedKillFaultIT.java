package se.patientkontrakt.fhir.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.security.TestTokens;

/**
 * {@code kill -9} with access control on, on the embedded H2 database: every acknowledged write is
 * there after a restart, and so is the access-log entry of every acknowledged write and read. A
 * read's AuditEvent is the server's own write, made after the data is loaded and before the answer
 * leaves; it reaches the H2 file before the answer does ({@code H2DurableWrites} covers every
 * write, the server's own included). Each request carries a token of its own subject, so each
 * acknowledged request can be found in the log by it ({@code AuditEvent?altid=}).
 */
class AuditedKillFaultIT {

    private static final int CLIENTS_OF_EACH_KIND = 2;
    private static final int ACKNOWLEDGED_OF_EACH_BEFORE_KILL = 20;

    private record Done(String subject, Bundle contract) {}

    @Test
    void h2FileDatabaseWithAccessControl() throws Exception {
        Path dataDir = Files.createTempDirectory(Files.createDirectories(Path.of("target", "faults")), "audited-h2-");
        Path publicKey = Path.of("src", "test", "resources", "auth", "issuer-public-key.pem")
                .toAbsolutePath();
        List<String> arguments = List.of(
                "--patientkontrakt.data-dir=" + dataDir.toAbsolutePath(),
                "--spring.security.oauth2.resourceserver.jwt.issuer-uri=" + TestTokens.ISSUER,
                "--spring.security.oauth2.resourceserver.jwt.audiences=" + TestTokens.AUDIENCE,
                "--spring.security.oauth2.resourceserver.jwt.public-key-location=file:" + publicKey,
                "--patientkontrakt.pdl.region-wide-clients=" + LOG_FOLLOW_UP);
        ConcurrentLinkedQueue<Done> writes = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Done> reads = new ConcurrentLinkedQueue<>();
        AtomicBoolean killed = new AtomicBoolean();

        try (ServerProcess server = ServerProcess.start("audited-kill-1", arguments)) {
            Bundle toRead = ContractFixture.create(FhirHttp.FHIR).transaction();
            assertThat(new FhirHttp(server.baseUrl(), TestTokens.system("system/*.cruds"))
                            .transaction(toRead)
                            .statusCode())
                    .isEqualTo(200);
            String contractToRead = contractOf(toRead);
            ExecutorService pool = Executors.newFixedThreadPool(2 * CLIENTS_OF_EACH_KIND);
            for (int i = 0; i < CLIENTS_OF_EACH_KIND; i++) {
                pool.submit(() -> {
                    while (!killed.get()) {
                        String subject = "writer-" + UUID.randomUUID();
                        Bundle contract = ContractFixture.create(FhirHttp.FHIR).transaction();
                        if (answered(new FhirHttp(server.baseUrl(), token(subject, "system/*.cruds"))
                                .transaction(contract))) {
                            writes.add(new Done(subject, contract));
                        }
                    }
                    return null;
                });
                pool.submit(() -> {
                    while (!killed.get()) {
                        String subject = "reader-" + UUID.randomUUID();
                        if (answered(new FhirHttp(server.baseUrl(), token(subject, "system/*.read"))
                                .get("/" + contractToRead))) {
                            reads.add(new Done(subject, null));
                        }
                    }
                    return null;
                });
            }
            server.killUnderLoad(
                    () -> writes.size() >= ACKNOWLEDGED_OF_EACH_BEFORE_KILL
                            && reads.size() >= ACKNOWLEDGED_OF_EACH_BEFORE_KILL,
                    killed,
                    pool);
        }

        assertThat(writes).hasSizeGreaterThanOrEqualTo(ACKNOWLEDGED_OF_EACH_BEFORE_KILL);
        assertThat(reads).hasSizeGreaterThanOrEqualTo(ACKNOWLEDGED_OF_EACH_BEFORE_KILL);
        try (ServerProcess restarted = ServerProcess.start("audited-kill-2", arguments)) {
            // The region's log follow-up reads every care giver's access log (Patientdatalagen).
            FhirHttp auditor = new FhirHttp(restarted.baseUrl(), TestTokens.token(c -> c.subject("log-follow-up")
                    .claim("azp", LOG_FOLLOW_UP)
                    .claim("scope", "system/*.read")));
            for (Done write : writes) {
                assertThat(auditor.readBack(write.contract()))
                        .as("an acknowledged contract write is stored")
                        .allMatch(Optional::isPresent);
                assertThat(logged(auditor, write.subject()))
                        .as("the access log of %s", write.subject())
                        .isPositive();
            }
            for (Done read : reads) {
                assertThat(logged(auditor, read.subject()))
                        .as("the access log of %s", read.subject())
                        .isPositive();
            }
            System.out.printf(
                    "audited kill -9 (H2): %d writes and %d reads acknowledged, each stored and in the access log%n",
                    writes.size(), reads.size());
        }
    }

    private static final String LOG_FOLLOW_UP = "region-log-follow-up";

    /** The request was answered 2xx; a request cut off by the kill was not acknowledged. */
    private static boolean answered(HttpResponse<String> response) {
        return response.statusCode() / 100 == 2;
    }

    private static int logged(FhirHttp client, String subject) throws IOException, InterruptedException {
        HttpResponse<String> response = client.get("/AuditEvent?altid=" + subject + "&_summary=count");
        assertThat(response.statusCode()).isEqualTo(200);
        return FhirHttp.parse(response, Bundle.class).getTotal();
    }

    private static String token(String subject, String scope) {
        return TestTokens.token(c ->
                TestTokens.unit(c.subject(subject).claim("azp", "kill-test").claim("scope", scope)));
    }

    private static String contractOf(Bundle transaction) {
        return transaction.getEntry().stream()
                .map(Bundle.BundleEntryComponent::getResource)
                .filter(r -> r.fhirType().equals("CarePlan"))
                .map(Resource::getIdElement)
                .map(id -> "CarePlan/" + id.getIdPart())
                .findFirst()
                .orElseThrow();
    }
}
