package se.patientkontrakt.fhir.security;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * With access control on, the pages and their scripts load without a token (they hold no patient
 * data), and the data they then ask for still needs one.
 */
class PagesWithAccessControlIT extends SecuredFhirIT {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/",
                "/mitt-patientkontrakt/",
                "/mitt-patientkontrakt/mitt-patientkontrakt.js",
                "/arbetslista/",
                "/arbetslista/arbetslista.js",
                "/sidor/fhir.js",
                "/sidor/sidor.css",
                "/sidor/smart-app.json"
            })
    void pagesLoadWithoutToken(String path) {
        given().basePath("").when().get(path).then().statusCode(200);
    }

    @Test
    void theirSmartLaunchFindsTheIdentityProvider() {
        fhir().when()
                .get("/.well-known/smart-configuration")
                .then()
                .statusCode(200)
                .body("authorization_endpoint", containsString("/protocol/openid-connect/auth"))
                .body("code_challenge_methods_supported[0]", equalTo("S256"));
    }

    @Test
    void theDataStillNeedsAToken() {
        fhir().when().get("/Patient/goran-karlsson/$patientkontrakt").then().statusCode(401);
    }
}
