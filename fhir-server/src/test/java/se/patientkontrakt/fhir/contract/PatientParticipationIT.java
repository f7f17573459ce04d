package se.patientkontrakt.fhir.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CarePlan.CarePlanActivityDetailComponent;
import org.hl7.fhir.r4.model.CarePlan.CarePlanActivityStatus;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.FhirIT;

/**
 * The patient's part in the contract, written as PATCH so that nothing else in the contract can be
 * overwritten by a portal holding an older copy: the agreement (who, when, how) added with a JSON
 * Patch, a patient-owned action marked done with a FHIRPath Patch. Every change is a new version
 * in {@code _history}.
 */
class PatientParticipationIT extends FhirIT {

    private static final String AGREEMENT = Vocabulary.PATIENT_AGREEMENT;
    private static final String JSON_PATCH = "application/json-patch+json";

    private ContractFixture contract;

    @BeforeEach
    void storeAContractNotYetAgreed() {
        contract = ContractFixture.create(fhirContext);
        contract.contract().getExtension().removeIf(e -> e.getUrl().equals(AGREEMENT));
        fhir(contract.transaction()).when().post("/").then().statusCode(200);
    }

    private Response patch(String contentType, String body, String version) {
        return fhir().contentType(contentType)
                .header("If-Match", "W/\"" + version + "\"")
                .body(body)
                .when()
                .patch("/" + contract.contractId());
    }

    private CarePlan stored() {
        return read("/" + contract.contractId(), CarePlan.class);
    }

    /** The contract as JSON without what a patch is meant to change (and the server with it), to compare the rest. */
    private String withoutAgreementAndMeta(CarePlan plan) {
        CarePlan copy = plan.copy();
        copy.setMeta(null);
        copy.setIdElement(copy.getIdElement().toVersionless());
        copy.getExtension()
                .removeIf(e -> e.getUrl().equals(AGREEMENT) || e.getUrl().equals(Vocabulary.AGREEMENT_PENDING));
        return json(copy);
    }

    @Test
    void theAgreementIsRecordedByAPatchThatTouchesNothingElse() {
        CarePlan before = stored();

        patch(JSON_PATCH, contract.agreementPatch("digital"), "1")
                .then()
                .statusCode(200)
                .header("ETag", "W/\"2\"");

        CarePlan after = stored();
        assertThat(after.getMeta().getVersionId()).isEqualTo("2");
        Extension agreement = after.getExtensionByUrl(AGREEMENT);
        assertThat(agreement.getExtensionByUrl("method").getValue())
                .isInstanceOfSatisfying(
                        Coding.class, c -> assertThat(c.getCode()).isEqualTo("digital"));
        assertThat(agreement.getExtensionByUrl("agreedBy").getValue())
                .isInstanceOfSatisfying(
                        Reference.class, r -> assertThat(r.getReference()).isEqualTo(contract.patientId()));
        assertThat(withoutAgreementAndMeta(after)).isEqualTo(withoutAgreementAndMeta(before));
    }

    @Test
    void anAgreementThatDoesNotConformIsRefusedAndTheContractKept() {
        Response response = patch(JSON_PATCH, contract.agreementPatch("telepathy"), "1");

        response.then().statusCode(422);
        assertThat(diagnostics(response)).contains("telepathy");
        assertThat(stored().getMeta().getVersionId()).isEqualTo("1");
    }

    @Test
    void aPatchOnAStaleVersionIs412() {
        patch(JSON_PATCH, contract.agreementPatch("digital"), "1").then().statusCode(200);

        Response stale = patch(JSON_PATCH, contract.agreementPatch("paper"), "1");

        stale.then().statusCode(412);
        assertThat(stored().getMeta().getVersionId()).isEqualTo("2");
    }

    @Test
    void thePatientMarksTheirOwnActionDoneAndHistoryShowsWhatChanged() {
        String action = "Göra mina träningsövningar två gånger om dagen enligt programmet från fysioterapeuten.";
        String fhirPathPatch =
                """
                {"resourceType": "Parameters", "parameter": [{"name": "operation", "part": [
                  {"name": "type", "valueCode": "replace"},
                  {"name": "path", "valueString": "CarePlan.activity.detail.where(description = '%s').status"},
                  {"name": "value", "valueCode": "completed"}
                ]}]}
                """
                        .formatted(action);

        patch(FHIR_JSON, fhirPathPatch, "1").then().statusCode(200);

        assertThat(detail(stored(), action).getStatus()).isEqualTo(CarePlanActivityStatus.COMPLETED);
        Bundle history = read("/" + contract.contractId() + "/_history", Bundle.class);
        assertThat(history.getEntry())
                .extracting(e -> e.getResource().getMeta().getVersionId())
                .containsExactly("2", "1");
        CarePlan first = read("/" + contract.contractId() + "/_history/1", CarePlan.class);
        assertThat(detail(first, action).getStatus()).isEqualTo(CarePlanActivityStatus.INPROGRESS);
    }

    private static CarePlanActivityDetailComponent detail(CarePlan plan, String description) {
        return plan.getActivity().stream()
                .map(CarePlan.CarePlanActivityComponent::getDetail)
                .filter(d -> description.equals(d.getDescription()))
                .findFirst()
                .orElseThrow();
    }
}
