package se.patientkontrakt.fhir.pages;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import se.patientkontrakt.fhir.FhirIT;

/** The pages and their scripts are served by the application itself, beside HAPI's /fhir. */
class PagesIT extends FhirIT {

    @ParameterizedTest
    @CsvSource({
        "/, Patientkontrakt",
        "/mitt-patientkontrakt/, mitt-patientkontrakt.js",
        "/mitt-patientkontrakt/?patient=goran-karlsson, mitt-patientkontrakt.js",
        "/arbetslista/, arbetslista.js"
    })
    void pagesAreHtml(String path, String content) {
        given().basePath("")
                .when()
                .get(path)
                .then()
                .statusCode(200)
                .contentType(startsWith("text/html"))
                .body(containsString("<html lang=\"sv\">"), containsString(content));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"/sidor/fhir.js", "/mitt-patientkontrakt/mitt-patientkontrakt.js", "/arbetslista/arbetslista.js"
            })
    void scriptsAreJavaScriptModules(String path) {
        // A browser runs <script type="module"> only when it is served with a JavaScript MIME type.
        given().basePath("")
                .when()
                .get(path)
                .then()
                .statusCode(200)
                .contentType(containsString("javascript"))
                .body(anyOf(containsString("import "), containsString("export ")));
    }

    @Test
    void styleSheetIsCss() {
        given().basePath("")
                .when()
                .get("/sidor/sidor.css")
                .then()
                .statusCode(200)
                .contentType(startsWith("text/css"));
    }

    @Test
    void pageWithoutClosingSlashIsRedirectedKeepingItsQuery() {
        given().basePath("")
                .redirects()
                .follow(false)
                .when()
                .get("/mitt-patientkontrakt?patient=sara-lindqvist")
                .then()
                .statusCode(302)
                .header("Location", endsWith("/mitt-patientkontrakt/?patient=sara-lindqvist"));
    }

    @Test
    void smartAppNamesTheClientId() {
        given().basePath("")
                .when()
                .get("/sidor/smart-app.json")
                .then()
                .statusCode(200)
                .contentType(startsWith("application/json"))
                .body("client_id", equalTo("patientkontrakt-sidor"));
    }

    @Test
    void fhirIsStillServedByHapi() {
        fhir().when().get("/metadata").then().statusCode(200).body("resourceType", equalTo("CapabilityStatement"));
    }
}
