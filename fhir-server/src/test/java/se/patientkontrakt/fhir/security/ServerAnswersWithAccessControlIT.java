package se.patientkontrakt.fhir.security;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * With access control on, what does not depend on the caller's token: the OpenAPI description
 * answers everyone, the pages carry the same strict headers as without it (their policy naming the
 * identity provider they log in with), and a refusal is an OperationOutcome in the format asked for.
 */
class ServerAnswersWithAccessControlIT extends SecuredFhirIT {

    /**
     * {@code /fhir/api-docs} is public; it failed with 500 (and some 700 lines of stack trace) for
     * every caller, since HAPI's generator read the published OperationDefinitions under access
     * rules that cannot judge a request that is no FHIR interaction.
     */
    @Test
    void theOpenApiDescriptionAnswersWithAndWithoutAToken() {
        for (Response response : new Response[] {
            given().when().get("/api-docs"), given().auth().oauth2(EHR).when().get("/api-docs")
        }) {
            response.then().statusCode(200);
            assertThat(response.asString())
                    .startsWith("openapi: 3.")
                    .contains("/Patient/{id}/$patientkontrakt:", "/Measure/{id}/$evaluate-measure:");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/mitt-patientkontrakt/", "/arbetslista/", "/sidor/fhir.js", "/sidor/smart-app.json"})
    void thePagesCarryTheirPolicyWithTheIdentityProvider(String path) {
        Response response = given().basePath("").when().get(path);

        response.then().statusCode(200);
        assertThat(response.header("Content-Security-Policy"))
                .isEqualTo("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
                        + " connect-src 'self' https://idp.test.patientkontrakt.se; frame-ancestors 'none';"
                        + " base-uri 'none'; form-action 'self'");
        assertThat(response.header("Referrer-Policy")).isEqualTo("no-referrer");
        assertThat(response.headers().getValues("X-Content-Type-Options")).containsExactly("nosniff");
    }

    @Test
    void fhirResponsesNameNoSoftwareAndAreNotSniffed() {
        for (Response response : new Response[] {
            fhir().when().get("/metadata"),
            fhir().when().get("/Patient"),
            as(EHR).when().get("/Patient?_count=1")
        }) {
            assertThat(response.headers().hasHeaderWithName("X-Powered-By")).isFalse();
            assertThat(response.headers().getValues("X-Content-Type-Options")).containsExactly("nosniff");
        }
    }

    @Test
    void aMissingTokenIsRefusedInXmlWhenTheClientAsks() {
        Response response = given().accept("application/fhir+xml").when().get("/Patient");

        response.then().statusCode(401).contentType("application/fhir+xml");
        OperationOutcome outcome =
                fhirContext.newXmlParser().parseResource(OperationOutcome.class, response.asString());
        assertThat(outcome.getIssueFirstRep().getCode()).isEqualTo(IssueType.LOGIN);
        assertThat(outcome.getIssueFirstRep().getDiagnostics()).contains("needs a bearer token");
    }

    @Test
    void anUnknownPageIsAnOperationOutcomeToo() {
        Response response = given().basePath("").auth().oauth2(EHR).when().get("/no-such-page");

        response.then().statusCode(404).contentType("application/fhir+json");
        assertThat(diagnostics(response)).contains("/no-such-page");
    }
}
