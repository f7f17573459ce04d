package se.patientkontrakt.fhir.security;

import io.restassured.filter.log.ErrorLoggingFilter;
import io.restassured.specification.RequestSpecification;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.springframework.test.context.TestPropertySource;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.FhirIT;

/**
 * The server with access control on: tokens from the test issuer ({@link TestTokens}), checked
 * against the public key in {@code src/test/resources/auth/}. Every subclass shares this one
 * Spring context (and its own database directory).
 */
@TestPropertySource(
        properties = {
            "spring.security.oauth2.resourceserver.jwt.issuer-uri=" + TestTokens.ISSUER,
            "spring.security.oauth2.resourceserver.jwt.audiences=" + TestTokens.AUDIENCE,
            "spring.security.oauth2.resourceserver.jwt.public-key-location=classpath:auth/issuer-public-key.pem",
            "patientkontrakt.security.authorization-endpoint=" + TestTokens.ISSUER + "/protocol/openid-connect/auth",
            "patientkontrakt.security.token-endpoint=" + TestTokens.ISSUER + "/protocol/openid-connect/token",
            "patientkontrakt.subscriptions.allowed-endpoints=http://127.0.0.1",
            "patientkontrakt.pdl.region-wide-clients=portal-1177,region-follow-up",
            "patientkontrakt.data-dir=./target/it-data-secured"
        })
public abstract class SecuredFhirIT extends FhirIT {

    /** The EHR integration: may read and write everything. */
    public static final String EHR = TestTokens.system("system/*.cruds");

    public static RequestSpecification as(String token) {
        // Refusals are the subject here: print every 4xx/5xx body, to see why when a test fails.
        return fhir().auth().oauth2(token).filter(new ErrorLoggingFilter());
    }

    /** Stores a fresh contract through the EHR integration and returns it. */
    protected ContractFixture storedContract() {
        return store(ContractFixture.create(fhirContext));
    }

    protected ContractFixture store(ContractFixture contract) {
        as(EHR).body(json(contract.transaction())).when().post("/").then().statusCode(200);
        return contract;
    }

    /** GET a path that must answer 200 to the token, parsed as the given type. */
    protected <T extends IBaseResource> T read(String token, String path, Class<T> type) {
        return parse(
                as(token)
                        .when()
                        .get("/" + path)
                        .then()
                        .statusCode(200)
                        .extract()
                        .response(),
                type);
    }

    protected Bundle search(String token, String path) {
        return parse(as(token).when().get(path).then().statusCode(200).extract().response(), Bundle.class);
    }
}
