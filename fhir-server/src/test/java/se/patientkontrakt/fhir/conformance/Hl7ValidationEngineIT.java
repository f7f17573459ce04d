package se.patientkontrakt.fhir.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.StringType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.FhirIT;

/**
 * {@code patientkontrakt.validation.engine=hl7}: the HL7 validator alone decides every write. A
 * valid contract transaction is stored, an invalid one refused with the element's path, as with
 * the compiled checker in front. Its settings make it a Spring context of its own, so it runs on
 * H2 only, with a data directory of its own: on PostgreSQL it would share the database as a second
 * server node (with it alive, two of SubscriptionIT's notifications never reached their receiver).
 */
@TestPropertySource(
        properties = {"patientkontrakt.validation.engine=hl7", "patientkontrakt.data-dir=./target/it-data-hl7-engine"})
@DisabledIfSystemProperty(
        named = "it.database",
        matches = ".*postgres.*",
        disabledReason = "the engine does not depend on the database; on PostgreSQL this context would share a"
                + " database with the other tests' context, as a second server node")
class Hl7ValidationEngineIT extends FhirIT {

    @Autowired
    private ValidationProperties properties;

    @Test
    void theHl7ValidatorDecidesEveryWrite() {
        assertThat(properties.engine()).isEqualTo(ValidationProperties.Engine.HL7);
    }

    @Test
    void aValidContractTransactionIsStored() {
        ContractFixture contract = ContractFixture.create(fhirContext);

        fhir(contract.transaction()).when().post("/").then().statusCode(200);

        fhir().when().get("/" + contract.contractId()).then().statusCode(200);
    }

    @Test
    void aContractWithoutItsPatientIsRefusedWithThePath() {
        ContractFixture contract = ContractFixture.create(fhirContext);
        contract.contract().setSubject(null);

        Response refused = fhir(contract.transaction()).when().post("/");

        refused.then().statusCode(422);
        assertThat(diagnostics(refused)).contains("CarePlan.subject: minimum required = 1");
        assertThat(outcome(refused).getIssue())
                .flatExtracting(OperationOutcome.OperationOutcomeIssueComponent::getExpression)
                .extracting(StringType::getValue)
                .contains("CarePlan.subject");
        fhir().when().get("/" + contract.patientId()).then().statusCode(404);
    }
}
