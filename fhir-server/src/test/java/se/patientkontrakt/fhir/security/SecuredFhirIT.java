package se.patientkontrakt.fhir.security;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
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

    /**
     * On PostgreSQL ({@code -Ppostgres}) this context gets a database of its own,
     * {@code <database>_secured} beside the one {@code SPRING_DATASOURCE_URL} names: two Spring
     * contexts on one database are two server nodes, whose Subscriptions each node's registry
     * picks up (ScaleOutFaultIT tests that case on purpose). On H2 it has its own data directory.
     */
    @DynamicPropertySource
    static void databaseOfItsOwn(DynamicPropertyRegistry registry) {
        String url = System.getenv("SPRING_DATASOURCE_URL");
        if (url != null && url.startsWith("jdbc:postgresql:")) {
            registry.add("spring.datasource.url", () -> withDatabaseSuffix(url, "_secured"));
        }
    }

    static String withDatabaseSuffix(String url, String suffix) {
        int query = url.indexOf('?');
        return query < 0 ? url + suffix : url.substring(0, query) + suffix + url.substring(query);
    }

    /** The EHR integration: may read and write everything. */
    public static final String EHR = TestTokens.system("system/*.cruds");

    /** Stores a fresh contract through the EHR integration and returns it. */
    protected ContractFixture storedContract() {
        return store(ContractFixture.create(fhirContext));
    }

    protected ContractFixture store(ContractFixture contract) {
        as(EHR).body(json(contract.transaction())).when().post("/").then().statusCode(200);
        return contract;
    }
}
