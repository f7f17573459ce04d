package se.patientkontrakt.fhir.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CarePlan;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.AtTheSameMoment;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.FhirIT;

/**
 * Clients that all read version 1 of a contract and all send their change with
 * {@code If-Match: W/"1"} at the same moment: exactly one change is stored, every other client is
 * told 412 Precondition Failed (<a href="https://hl7.org/fhir/R4/http.html#concurrency">http.html#concurrency</a>)
 * and must read again, and the history holds no second version 2, so no change was silently
 * overwritten.
 */
class ConcurrentUpdateIT extends FhirIT {

    private static final int CLIENTS = 8;

    private record Attempt(String description, int status, String body) {}

    @Test
    void ofConcurrentUpdatesWithTheSameIfMatchExactlyOneWinsAndTheOthersGet412() throws Exception {
        ContractFixture fixture = ContractFixture.create(fhirContext);
        fhir(fixture.transaction()).when().post("/").then().statusCode(200);
        String path = "/" + fixture.contractId();
        CarePlan read = read(path, CarePlan.class);
        assertThat(read.getMeta().getVersionId()).isEqualTo("1");

        List<Attempt> done = AtTheSameMoment.run(CLIENTS, i -> {
            CarePlan change = read.copy();
            String description = "Ändring från klient " + i;
            change.setDescription(description);
            String body = json(change);
            return () -> {
                Response response =
                        fhir().header("If-Match", "W/\"1\"").body(body).when().put(path);
                return new Attempt(description, response.statusCode(), response.asString());
            };
        });

        assertThat(done).extracting(Attempt::status).containsOnly(200, 412);
        List<Attempt> won = done.stream().filter(a -> a.status() == 200).toList();
        assertThat(won).hasSize(1);
        done.stream().filter(a -> a.status() == 412).forEach(lost -> assertThat(lost.body())
                .contains("OperationOutcome"));

        CarePlan stored = read(path, CarePlan.class);
        assertThat(stored.getMeta().getVersionId()).isEqualTo("2");
        assertThat(stored.getDescription()).isEqualTo(won.get(0).description());
        Bundle history = read(path + "/_history", Bundle.class);
        assertThat(history.getEntry())
                .extracting(e -> e.getResource().getMeta().getVersionId())
                .containsExactly("2", "1");
        assertThat(((CarePlan) history.getEntry().get(1).getResource()).getDescription())
                .isEqualTo(read.getDescription());
    }
}
