package se.patientkontrakt.fhir.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.startsWith;

import io.restassured.response.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.junit.jupiter.api.Test;

/**
 * Who gets in at all: a valid token from the configured issuer, for this server's audience, signed
 * with the issuer's key and not expired. Every other request to patient data is {@code 401} with a
 * {@code WWW-Authenticate} header and an OperationOutcome; what describes the server stays open.
 */
class TokenValidationIT extends SecuredFhirIT {

    private static final String PATIENTS = "/Patient";
    private static final String READ_ALL = "user/*.read";

    private Response withToken(String token) {
        return as(token).when().get(PATIENTS);
    }

    private void assertUnauthorized(Response response, String says) {
        response.then()
                .statusCode(401)
                .header("WWW-Authenticate", startsWith("Bearer"))
                .contentType(containsString("application/fhir+json"));
        OperationOutcome outcome = outcome(response);
        assertThat(outcome.getIssueFirstRep().getCode()).isEqualTo(OperationOutcome.IssueType.LOGIN);
        assertThat(diagnostics(response)).contains(says).doesNotContain("at org.", "Exception:");
    }

    @Test
    void aValidTokenIsAccepted() {
        withToken(TestTokens.practitioner(READ_ALL)).then().statusCode(200);
    }

    @Test
    void noTokenIs401() {
        Response response = fhir().when().get(PATIENTS);

        assertUnauthorized(response, "needs a bearer token");
        assertThat(response.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"patientkontrakt\"");
    }

    @Test
    void anUnsignedTokenIs401() {
        String none = TestTokens.unsigned(
                TestTokens.defaults().claim("scope", READ_ALL).build());

        Response response = withToken(none);

        assertUnauthorized(response, "not accepted");
        assertThat(response.header("WWW-Authenticate")).contains("invalid_token");
    }

    @Test
    void aTokenSignedWithAnotherKeyIs401() {
        String forged =
                TestTokens.sign(TestTokens.defaults().claim("scope", READ_ALL).build(), TestTokens.otherKey());

        assertUnauthorized(withToken(forged), "not accepted");
    }

    @Test
    void anExpiredTokenIs401() {
        Instant past = Instant.now().minus(Duration.ofHours(1));
        String expired = TestTokens.token(c -> c.claim("scope", READ_ALL)
                .issueTime(Date.from(past.minus(Duration.ofMinutes(5))))
                .expirationTime(Date.from(past)));

        assertUnauthorized(withToken(expired), "expired");
    }

    @Test
    void aTokenWithoutExpiryIs401() {
        String forever = TestTokens.token(c -> c.claim("scope", READ_ALL).expirationTime(null));

        assertUnauthorized(withToken(forever), "not accepted");
    }

    @Test
    void aTokenFromAnotherIssuerIs401() {
        String foreign =
                TestTokens.token(c -> c.claim("scope", READ_ALL).issuer("https://idp.elsewhere.example/realms/region"));

        assertUnauthorized(withToken(foreign), "iss");
    }

    @Test
    void aTokenForAnotherAudienceIs401() {
        String other = TestTokens.token(c -> c.claim("scope", READ_ALL).audience("some-other-api"));

        assertUnauthorized(withToken(other), "aud");
    }

    @Test
    void aMalformedTokenIs401() {
        assertUnauthorized(withToken("not-a-jwt"), "not accepted");
    }

    @Test
    void aValidTokenWithoutScopesIs403WithAnOperationOutcome() {
        Response response = withToken(TestTokens.token(c -> TestTokens.unit(c.claim("scope", "openid"))));

        response.then().statusCode(403);
        assertThat(diagnostics(response)).contains("Access denied");
    }

    @Test
    void aPatientTokenThatNamesNoPatientIs401() {
        Response response = withToken(TestTokens.token(c -> c.claim("scope", "patient/*.read")));

        assertUnauthorized(response, "names no patient");
    }

    /** Leak 5: a malformed patient claim made a token a care token, with access to every patient. */
    @Test
    void aPatientClaimThatIsNotOneExistingPatientIs401() {
        String scope = "user/*.read patient/*.read";
        assertUnauthorized(
                withToken(TestTokens.token(
                        c -> c.claim("scope", scope).claim("patient", List.of("goran-karlsson", "sara-lindqvist")))),
                "must be one Patient id");
        assertUnauthorized(
                withToken(TestTokens.token(c -> c.claim("scope", "user/*.read")
                        .claim("patient", "https://fhir.example.se/fhir/Patient/goran-karlsson"))),
                "must be one Patient id");
        assertUnauthorized(
                withToken(TestTokens.token(c -> c.claim("scope", "user/*.read").claim("patient", ""))),
                "must be one Patient id");
        assertUnauthorized(
                withToken(TestTokens.token(c -> c.claim("scope", "user/*.read").claim("patient", "no-such-patient"))),
                "not a patient of this server");
    }

    @Test
    void aFhirUserThatIsNotThePatientIs401() {
        assertUnauthorized(
                withToken(TestTokens.token(c -> c.claim("scope", "patient/*.read")
                        .claim("patient", "goran-karlsson")
                        .claim("fhirUser", "Patient/sara-lindqvist"))),
                "name different patients");
        assertUnauthorized(
                withToken(TestTokens.token(c -> c.claim("scope", "user/*.read")
                        .claim("patient", "goran-karlsson")
                        .claim("fhirUser", "Practitioner/erik-holm"))),
                "either a patient's or care's");
    }

    /** Patientdatalagen: a care token acts under a commission (medarbetaruppdrag). */
    @Test
    void aCareTokenWithoutACommissionIs401() {
        assertUnauthorized(
                withToken(TestTokens.token(c ->
                        c.claim("scope", "openid fhirUser " + READ_ALL).claim("fhirUser", "Practitioner/erik-holm"))),
                "commission");
        assertUnauthorized(
                withToken(TestTokens.token(c -> c.claim("azp", "cosmic-ehr").claim("scope", "system/*.read"))),
                "healthCareUnitHsaId");
        assertUnauthorized(
                withToken(TestTokens.token(c -> TestTokens.unit(c.claim("scope", "system/*.read"))
                        .claim("healthCareProviderHsaId", "Region Kalmar"))),
                "not one HSA-id");
    }

    @Test
    void aRegionWideClientIsAcceptedWithoutACommission() {
        withToken(TestTokens.token(c -> c.claim("azp", "region-follow-up").claim("scope", "system/*.read")))
                .then()
                .statusCode(200);
    }

    @Test
    void aTokenWithoutSubjectIs401() {
        assertUnauthorized(
                withToken(TestTokens.sign(
                        TestTokens.defaults()
                                .subject(null)
                                .claim("scope", "system/*.read")
                                .build(),
                        TestTokens.issuerKey())),
                "no subject");
    }

    @Test
    void theCapabilityStatementIsOpenAndDescribesSmart() {
        CapabilityStatement capabilities = read("/metadata", CapabilityStatement.class);

        CapabilityStatement.CapabilityStatementRestSecurityComponent security =
                capabilities.getRestFirstRep().getSecurity();
        assertThat(security.getServiceFirstRep().getCodingFirstRep().getCode()).isEqualTo("SMART-on-FHIR");
        assertThat(security.getExtensionByUrl(SecurityCapabilityInterceptor.OAUTH_URIS)
                        .getExtensionByUrl("token")
                        .getValue()
                        .primitiveValue())
                .isEqualTo(TestTokens.ISSUER + "/protocol/openid-connect/token");
    }

    @Test
    void theSmartConfigurationIsPublished() {
        Response response = fhir().accept("application/json").when().get("/.well-known/smart-configuration");

        response.then().statusCode(200).contentType(containsString("application/json"));
        assertThat(response.jsonPath().getString("issuer")).isEqualTo(TestTokens.ISSUER);
        assertThat(response.jsonPath().getString("token_endpoint")).endsWith("/token");
        assertThat(response.jsonPath().getList("capabilities", String.class))
                .contains("permission-patient", "permission-v2", "context-standalone-patient");
        assertThat(response.jsonPath().getList("scopes_supported", String.class))
                .contains("patient/*.read");
    }
}
