package se.patientkontrakt.fhir.server;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import se.patientkontrakt.fhir.FhirIT;

/**
 * What the server tells a browser about its responses, without access control (the test
 * profile): no response names the software and its version ({@code X-Powered-By}), none may be
 * sniffed into another type, and the pages carry a strict Content-Security-Policy and send no
 * referrer. {@code security.ServerAnswersWithAccessControlIT} checks the same with access control.
 */
class SecurityHeadersIT extends FhirIT {

    static final String PAGE_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
            + " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

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

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/",
                "/index.html",
                "/mitt-patientkontrakt/",
                "/mitt-patientkontrakt/?patient=goran-karlsson",
                "/mitt-patientkontrakt/mitt-patientkontrakt.js",
                "/arbetslista/",
                "/arbetslista/arbetslista.js",
                "/sidor/fhir.js",
                "/sidor/sidor.css",
                "/sidor/smart-app.json",
                "/no-such-page"
            })
    void thePagesCarryAStrictPolicyAndSendNoReferrer(String path) {
        Response response = given().basePath("").when().get(path);

        assertThat(response.header("Content-Security-Policy")).isEqualTo(PAGE_POLICY);
        assertThat(response.header("Referrer-Policy")).isEqualTo("no-referrer");
        assertThat(response.headers().getValues("X-Content-Type-Options")).containsExactly("nosniff");
    }

    /** HAPI's Swagger UI runs inline scripts: the pages' policy, which would stop them, is not put on it. */
    @Test
    void theSwaggerUiUnderFhirKeepsItsInlineScripts() {
        Response response = given().accept("text/html").when().get("/swagger-ui/");

        response.then().statusCode(200);
        assertThat(response.header("Content-Security-Policy")).isNull();
        assertThat(new String(response.asByteArray(), StandardCharsets.UTF_8)).contains("<script");
    }
}
