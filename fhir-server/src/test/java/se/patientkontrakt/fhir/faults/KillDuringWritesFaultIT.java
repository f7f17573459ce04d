package se.patientkontrakt.fhir.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Meta;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.ContractFixture;

/**
 * {@code kill -9} of the server in the middle of a stream of contract writes loses nothing it
 * acknowledged and leaves no half-written transaction: four clients write whole contracts (one
 * transaction Bundle of 11 resources each) until the server process is killed while writes are in
 * flight; a new process on the same database must then hold every resource of every contract that
 * was answered 2xx, exactly as sent, and of each contract in flight at the kill either all
 * resources or none.
 */
class KillDuringWritesFaultIT {

    private static final int WRITERS = 4;

    /** Contracts acknowledged before the kill; enough that commits were going on all the while. */
    private static final int ACKNOWLEDGED_BEFORE_KILL = 40;

    @Test
    void h2FileDatabase() throws Exception {
        Path dataDir = Files.createTempDirectory(Files.createDirectories(Path.of("target", "faults")), "kill-h2-");
        killDuringWritesThenCheck("kill-h2", List.of("--patientkontrakt.data-dir=" + dataDir.toAbsolutePath()));
    }

    @Test
    void postgresql() throws Exception {
        ScratchPostgres postgres = ScratchPostgres.shared();
        postgres.createDatabase("kill_test");
        killDuringWritesThenCheck("kill-postgres", postgres.serverArguments("kill_test"));
    }

    private void killDuringWritesThenCheck(String name, List<String> database) throws Exception {
        List<Write> writes = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger acknowledged = new AtomicInteger();
        AtomicInteger inFlight = new AtomicInteger();
        AtomicBoolean killed = new AtomicBoolean();

        try (ServerProcess server = ServerProcess.start(name + "-1", database)) {
            FhirHttp client = new FhirHttp(server.baseUrl());
            ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
            for (int i = 0; i < WRITERS; i++) {
                pool.submit(() -> {
                    while (!killed.get()) {
                        Bundle contract = ContractFixture.create(FhirHttp.FHIR).transaction();
                        Write write = new Write(contract);
                        writes.add(write);
                        inFlight.incrementAndGet();
                        try {
                            HttpResponse<String> response = client.transaction(contract);
                            write.status = response.statusCode();
                            if (response.statusCode() / 100 == 2) {
                                acknowledged.incrementAndGet();
                            }
                        } catch (IOException noAnswer) {
                            write.status = Write.NO_ANSWER;
                        } finally {
                            inFlight.decrementAndGet();
                        }
                    }
                    return null;
                });
            }
            server.killUnderLoad(
                    () -> acknowledged.get() >= ACKNOWLEDGED_BEFORE_KILL && inFlight.get() >= WRITERS, killed, pool);
        }

        List<Write> acked = writes.stream().filter(Write::acknowledged).toList();
        List<Write> unanswered =
                writes.stream().filter(w -> w.status == Write.NO_ANSWER).toList();
        assertThat(acked).hasSizeGreaterThanOrEqualTo(ACKNOWLEDGED_BEFORE_KILL);
        assertThat(writes)
                .as("before the kill every write is either acknowledged or cut off, never refused")
                .allMatch(w -> w.acknowledged() || w.status == Write.NO_ANSWER);

        long restartStarted = System.nanoTime();
        try (ServerProcess restarted = ServerProcess.start(name + "-2", database)) {
            long restartMillis = (System.nanoTime() - restartStarted) / 1_000_000;
            FhirHttp client = new FhirHttp(restarted.baseUrl());
            for (Write write : acked) {
                List<Optional<Resource>> stored = client.readBack(write.contract);
                for (int i = 0; i < stored.size(); i++) {
                    Resource sent = write.contract.getEntry().get(i).getResource();
                    assertThat(stored.get(i))
                            .as("acknowledged %s", sent.getIdElement().toUnqualifiedVersionless())
                            .hasValueSatisfying(found -> assertThat(sameContent(write.contract, sent, found))
                                    .as("%s as stored equals what was sent", sent.getIdElement())
                                    .isTrue());
                }
            }
            int committedButUnanswered = 0;
            for (Write write : unanswered) {
                long present = client.readBack(write.contract).stream()
                        .filter(Optional::isPresent)
                        .count();
                assertThat(present)
                        .as("a transaction in flight at the kill is all there or not at all")
                        .isIn(0L, (long) write.contract.getEntry().size());
                if (present > 0) {
                    committedButUnanswered++;
                }
            }
            assertThat(client.transaction(ContractFixture.create(FhirHttp.FHIR).transaction())
                            .statusCode())
                    .as("the restarted server takes writes")
                    .isEqualTo(200);
            System.out.printf(
                    "%s: %d contracts (%d resources) acknowledged before kill -9, all intact after restart;"
                            + " %d in flight at the kill (%d committed whole, %d not at all); restart to ready %d ms%n",
                    name,
                    acked.size(),
                    acked.stream().mapToInt(w -> w.contract.getEntry().size()).sum(),
                    unanswered.size(),
                    committedButUnanswered,
                    unanswered.size() - committedButUnanswered,
                    restartMillis);
        }
    }

    /**
     * Same content and profiles, ignoring what the server sets itself (version, lastUpdated); a
     * reference to another entry's {@code fullUrl} is stored as that entry's {@code Type/id}.
     */
    private static boolean sameContent(Bundle transaction, Resource sent, Resource stored) {
        String json = FhirHttp.FHIR.newJsonParser().encodeResourceToString(sent);
        for (Bundle.BundleEntryComponent entry : transaction.getEntry()) {
            json = json.replace(
                    "\"" + entry.getFullUrl() + "\"", "\"" + entry.getRequest().getUrl() + "\"");
        }
        Resource expected = comparable((Resource) FhirHttp.FHIR.newJsonParser().parseResource(json));
        Resource actual = comparable(stored);
        boolean same = expected.equalsDeep(actual);
        if (!same) {
            System.out.println("sent:   " + FhirHttp.FHIR.newJsonParser().encodeResourceToString(expected));
            System.out.println("stored: " + FhirHttp.FHIR.newJsonParser().encodeResourceToString(actual));
        }
        return same;
    }

    private static Resource comparable(Resource resource) {
        Resource copy = resource.copy();
        copy.setMeta(new Meta().setProfile(resource.getMeta().getProfile()));
        copy.setId(resource.fhirType() + "/" + resource.getIdElement().getIdPart());
        return copy;
    }

    private static final class Write {
        static final int NO_ANSWER = -1;
        static final int PENDING = 0;

        final Bundle contract;
        volatile int status = PENDING;

        Write(Bundle contract) {
            this.contract = contract;
        }

        boolean acknowledged() {
            return status / 100 == 2;
        }
    }
}
