package se.patientkontrakt.fhir.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.util.List;
import java.util.UUID;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.FhirIT;

/**
 * The server without a token issuer, as every other integration test runs it: open as before, no
 * security section or SMART configuration to publish, and the access log still closed to writes.
 */
class OpenAccessIT extends FhirIT {

    @Test
    void withoutAnIssuerRequestsNeedNoToken() {
        ContractFixture contract = ContractFixture.create(fhirContext);
        fhir(contract.transaction()).when().post("/").then().statusCode(200);

        fhir().when().get("/" + contract.contractId()).then().statusCode(200);
        assertThat(read("/metadata", CapabilityStatement.class)
                        .getRestFirstRep()
                        .hasSecurity())
                .isFalse();
    }

    @Test
    void thereIsNoSmartConfigurationToPublish() {
        Response response = fhir().when().get("/.well-known/smart-configuration");

        response.then().statusCode(404);
        assertThat(diagnostics(response)).contains("Access control is not configured");
    }

    @Test
    void theAccessLogCannotBeWrittenThroughTheApiEvenWhenOpen() {
        // The database may hold the access log of the secured tests' server: count, don't expect none.
        int before = read("/AuditEvent?_summary=count", Bundle.class).getTotal();
        Response create = fhir(new AuditEvent()).when().post("/AuditEvent");
        String id = "forged-" + UUID.randomUUID();
        Response update = fhir(new AuditEvent().setId(id)).when().put("/AuditEvent/" + id);

        for (Response response : List.of(create, update)) {
            response.then().statusCode(403);
            assertThat(diagnostics(response)).contains("access log");
        }
        fhir().when().get("/AuditEvent/" + id).then().statusCode(404);
        assertThat(read("/AuditEvent?_summary=count", Bundle.class).getTotal()).isEqualTo(before);
    }
}
