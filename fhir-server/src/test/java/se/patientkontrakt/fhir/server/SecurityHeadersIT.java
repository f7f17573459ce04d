package se.patientkontrakt.fhir.server;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.FhirIT;

/**
 * What the server tells a browser about its responses, without access control (the test
 * profile): no response names the software and its version ({@code X-Powered-By}), and none may
 * be sniffed into another type.
 */
class SecurityHeadersIT extends FhirIT {

    @Test
    void noFhirResponseSaysWhatSoftwareAnswersIt() {
        String id = create(Fixtures.patient("Headers" + Fixtures.uniqueValue().substring(0, 8)));
        List<Supplier<Response>> requests = List.of(
                () -> fhir().when().get("/metadata"),
                () -> fhir().when().get("/Patient/" + id),
                () -> fhir().when().get("/Patient?_id=" + id),
                () -> fhir().when().get("/Patient/no-such-patient"),
                () -> fhir().when().get("/Patient?birthdate=yesterday"),
                () -> fhir().accept("text/html").when().get("/Patient/" + id),
                () -> fhir().body("{").when().post("/Patient"),
                () -> fhir().body(new byte[1_100_000]).when().post("/Patient"),
                () -> given().when().get("/api-docs"),
                () -> given().accept("text/html").when().get("/swagger-ui/"),
                () -> fhir().when().get("/.well-known/smart-configuration"));

        for (Supplier<Response> request : requests) {
            Response response = request.get();

            assertThat(response.headers().hasHeaderWithName("X-Powered-By"))
                    .as("X-Powered-By on %s", response.statusLine())
                    .isFalse();
            assertThat(response.headers().getValues("X-Content-Type-Options"))
                    .as("X-Content-Type-Options on %s", response.statusLine())
                    .containsExactly("nosniff");
        }
    }
}
