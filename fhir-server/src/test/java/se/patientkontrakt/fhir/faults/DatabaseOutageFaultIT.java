package se.patientkontrakt.fhir.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.ContractFixture;

/**
 * PostgreSQL restarted under load: while the database is down every request is answered at once
 * with 503, an OperationOutcome and {@code Retry-After}, never 500 and never left hanging; when it
 * is back the same server process serves again by itself, and every write it acknowledged is
 * stored. Runs on a throwaway cluster of the test's own ({@link ScratchPostgres}).
 */
class DatabaseOutageFaultIT {

    private static final int CLIENTS = 4;
    private static final long DOWN_FOR_MILLIS = 15_000;
    private static final long RECOVERED_WITHIN_MILLIS = 60_000;

    @Test
    void serverAnswers503WhileTheDatabaseIsDownAndRecoversByItself() throws Exception {
        ScratchPostgres postgres = ScratchPostgres.shared();
        postgres.createDatabase("outage_test");
        List<Answer> answers = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();

        try (ServerProcess server = ServerProcess.start("outage", postgres.serverArguments("outage_test"))) {
            FhirHttp client = new FhirHttp(server.baseUrl());
            ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
            for (int i = 0; i < CLIENTS; i++) {
                boolean writer = i % 2 == 0;
                pool.submit(() -> {
                    while (!stop.get()) {
                        answers.add(writer ? write(client) : read(client));
                    }
                    return null;
                });
            }
            Thread.sleep(5_000);
            long stopped = System.currentTimeMillis();
            postgres.stop();
            Thread.sleep(DOWN_FOR_MILLIS);
            long started = System.currentTimeMillis();
            postgres.start();
            long deadline = started + RECOVERED_WITHIN_MILLIS;
            while (System.currentTimeMillis() < deadline && !writeSucceededAfter(answers, started)) {
                Thread.sleep(100);
            }
            Thread.sleep(3_000);
            stop.set(true);
            pool.shutdown();
            assertThat(pool.awaitTermination(2, TimeUnit.MINUTES)).isTrue();
            assertThat(server.isAlive())
                    .as("the same server process is still serving")
                    .isTrue();

            List<Answer> all = List.copyOf(answers);
            assertThat(all.stream().filter(a -> a.status / 100 != 2 && a.status != 503))
                    .as("every request is answered 2xx or 503, never 500 or not at all")
                    .isEmpty();
            List<Answer> unavailable = all.stream().filter(a -> a.status == 503).toList();
            assertThat(unavailable).as("the outage was seen").isNotEmpty();
            assertThat(unavailable)
                    .as("each 503 carries an OperationOutcome and Retry-After")
                    .allMatch(a -> a.outcome && a.retryAfter != null);
            assertThat(unavailable)
                    .as("503 only while the database was down, or while connections were re-made")
                    .allMatch(a -> a.answeredAt >= stopped && a.sentAt <= deadline);
            long firstWriteBack = all.stream()
                    .filter(a -> a.write() && a.status / 100 == 2 && a.sentAt >= started)
                    .mapToLong(a -> a.answeredAt)
                    .min()
                    .orElseThrow(() -> new AssertionError(
                            "no write succeeded within " + RECOVERED_WITHIN_MILLIS + " ms of the database's return"));
            long slowest503 = unavailable.stream()
                    .mapToLong(a -> a.answeredAt - a.sentAt)
                    .max()
                    .orElse(0);
            assertThat(slowest503)
                    .as("a 503 comes within Hikari's connection-timeout (5 s) plus slack, not a hang")
                    .isLessThan(15_000);

            List<Answer> acknowledged =
                    all.stream().filter(a -> a.write() && a.status / 100 == 2).toList();
            for (Answer write : acknowledged) {
                assertThat(client.readBack(write.contract)).allMatch(Optional::isPresent);
            }
            for (Answer write :
                    all.stream().filter(a -> a.write() && a.status == 503).toList()) {
                long present = client.readBack(write.contract).stream()
                        .filter(Optional::isPresent)
                        .count();
                assertThat(present).isIn(0L, (long) write.contract.getEntry().size());
            }
            System.out.printf(
                    "outage: database down %d ms; %d requests, %d answered 503 (first %d ms after the stop, last %d ms"
                            + " after the start), slowest 503 %d ms; first acknowledged write %d ms after the"
                            + " database was back; %d acknowledged writes all stored%n",
                    started - stopped,
                    all.size(),
                    unavailable.size(),
                    unavailable.stream().mapToLong(a -> a.answeredAt).min().orElse(0) - stopped,
                    unavailable.stream().mapToLong(a -> a.answeredAt).max().orElse(0) - started,
                    slowest503,
                    firstWriteBack - started,
                    acknowledged.size());
        }
    }

    private static boolean writeSucceededAfter(List<Answer> answers, long started) {
        synchronized (answers) {
            return answers.stream().anyMatch(a -> a.write() && a.status / 100 == 2 && a.sentAt >= started);
        }
    }

    private static Answer write(FhirHttp client) {
        Bundle contract = ContractFixture.create(FhirHttp.FHIR).transaction();
        long sent = System.currentTimeMillis();
        try {
            return Answer.of(contract, sent, client.transaction(contract));
        } catch (IOException | InterruptedException e) {
            return new Answer(contract, sent, System.currentTimeMillis(), -1, false, null);
        }
    }

    private static Answer read(FhirHttp client) {
        long sent = System.currentTimeMillis();
        try {
            return Answer.of(null, sent, client.get("/CarePlan?status=active&_count=5"));
        } catch (IOException | InterruptedException e) {
            return new Answer(null, sent, System.currentTimeMillis(), -1, false, null);
        }
    }

    private record Answer(
            Bundle contract, long sentAt, long answeredAt, int status, boolean outcome, String retryAfter) {

        static Answer of(Bundle contract, long sent, HttpResponse<String> response) {
            boolean outcome = false;
            if (response.statusCode() >= 400) {
                try {
                    Resource body = (Resource) FhirHttp.FHIR.newJsonParser().parseResource(response.body());
                    outcome =
                            body instanceof OperationOutcome o && !o.getIssue().isEmpty();
                } catch (RuntimeException notFhir) {
                    outcome = false;
                }
            }
            return new Answer(
                    contract,
                    sent,
                    System.currentTimeMillis(),
                    response.statusCode(),
                    outcome,
                    response.headers().firstValue("Retry-After").orElse(null));
        }

        boolean write() {
            return contract != null;
        }
    }
}
