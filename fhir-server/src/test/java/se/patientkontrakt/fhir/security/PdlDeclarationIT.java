package se.patientkontrakt.fhir.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.util.List;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.StringType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * A care relationship or emergency access declared for a request ({@code PDL-Care-Relationship},
 * {@code PDL-Emergency-Access}): in the access log with its reason, findable by tag and label,
 * shown to the patient; refused with 400 when malformed or sent by a token that is not a person in
 * care, before any data is reached.
 */
class PdlDeclarationIT extends SecuredFhirIT {

    private static final String EMERGENCY = PdlDeclaration.EMERGENCY_ACCESS_HEADER;
    private static final String RELATIONSHIP = PdlDeclaration.CARE_RELATIONSHIP_HEADER;
    private static final String BTG = "http://terminology.hl7.org/CodeSystem/v3-ActCode|BTG";

    private final String doctor = TestTokens.practitioner("user/*.read");
    private ContractFixture contract;

    @BeforeEach
    void aStoredContract() {
        contract = storedContract();
    }

    @Test
    void emergencyAccessIsLoggedWithItsReasonAndFoundByItsLabel() {
        String reason = "Medvetslös på akuten, kan inte samtycka";
        as(doctor)
                .header(EMERGENCY, "  " + reason + " ")
                .when()
                .get("/" + contract.contractId())
                .then()
                .statusCode(200);

        List<AuditEvent> flagged = events("/AuditEvent?patient=" + contract.patientId() + "&_security=" + BTG);
        assertThat(flagged).hasSize(1);
        CodeableConcept purpose = flagged.get(0).getPurposeOfEventFirstRep();
        assertThat(purpose.getText()).isEqualTo(reason);
        assertThat(purpose.getCoding())
                .extracting(c -> c.getSystem() + "|" + c.getCode())
                .containsExactly(
                        Vocabulary.PDL_DECLARATION + "|nodatkomst",
                        "http://terminology.hl7.org/CodeSystem/v3-ActReason|ETREAT");
        assertThat(events("/AuditEvent?patient=" + contract.patientId() + "&_tag=" + Vocabulary.PDL_DECLARATION
                        + "|nodatkomst"))
                .extracting(AuditEvent::getIdPart)
                .containsExactly(flagged.get(0).getIdPart());
    }

    @Test
    void aDeclaredCareRelationshipIsLoggedOnEveryEntryOfTheRequest() {
        ContractFixture other = storedContract();
        Bundle batch = new Bundle().setType(Bundle.BundleType.BATCH);
        for (String id : List.of(contract.contractId(), other.contractId())) {
            batch.addEntry().getRequest().setMethod(Bundle.HTTPVerb.GET).setUrl(id);
        }
        as(doctor)
                .header(RELATIONSHIP, "Ny patient på mottagningen")
                .body(json(batch))
                .when()
                .post("/")
                .then()
                .statusCode(200);

        for (ContractFixture each : List.of(contract, other)) {
            List<AuditEvent> declared = events("/AuditEvent?patient=" + each.patientId() + "&_tag="
                    + Vocabulary.PDL_DECLARATION + "|vardrelation");
            assertThat(declared).hasSize(1);
            assertThat(declared.get(0).getPurposeOfEventFirstRep().getText()).isEqualTo("Ny patient på mottagningen");
            assertThat(declared.get(0).getMeta().getSecurity()).isEmpty();
        }
        assertThat(events("/AuditEvent?patient=" + contract.patientId() + "&_security=" + BTG))
                .isEmpty();
    }

    @Test
    void thePatientSeesWhoTookEmergencyAccessAndWhy() {
        as(doctor)
                .header(EMERGENCY, "Akut försämring")
                .when()
                .get("/" + contract.patientId())
                .then()
                .statusCode(200);

        String patient = TestTokens.patient(contract.patientId(), "patient/*.read");
        List<AuditEvent> seen = events(patient, "/AuditEvent?patient=" + contract.patientId() + "&_security=" + BTG);
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).getPurposeOfEventFirstRep().getText()).isEqualTo("Akut försämring");
    }

    @Test
    void aDeclarationWithoutAReasonIs400AndReachesNothing() {
        for (String header : List.of(EMERGENCY, RELATIONSHIP)) {
            refused(as(doctor).header(header, " "), header, "needs a reason");
        }
        refused(as(doctor).header(EMERGENCY, "x".repeat(PdlDeclaration.MAX_REASON + 1)), EMERGENCY, "at most 500");
        refused(as(doctor).header(EMERGENCY, "ett").header(EMERGENCY, "två"), EMERGENCY, "once per request");
        assertThat(events("/AuditEvent?patient=" + contract.patientId() + "&_tag=" + Vocabulary.PDL_DECLARATION
                        + "|nodatkomst"))
                .isEmpty();
    }

    @Test
    void onlyAPersonInCareDeclares() {
        refused(
                as(TestTokens.patient(contract.patientId(), "patient/*.read")).header(EMERGENCY, "Jag vill"),
                EMERGENCY,
                "a patient's token may not send it");
        refused(as(EHR).header(RELATIONSHIP, "Integrationen"), RELATIONSHIP, "a system's token may not send it");
    }

    private void refused(RequestSpecification request, String header, String words) {
        Response response = request.when().get("/" + contract.contractId());
        assertThat(response.statusCode()).isEqualTo(400);
        OperationOutcome outcome = parse(response, OperationOutcome.class);
        assertThat(outcome.getIssueFirstRep().getDiagnostics()).contains(header).contains(words);
        assertThat(outcome.getIssueFirstRep().getLocation())
                .extracting(StringType::getValue)
                .containsExactly("http." + header);
        assertThat(response.asString()).doesNotContain(contract.patientId().replace("Patient/", ""));
    }

    private List<AuditEvent> events(String path) {
        return events(EHR, path);
    }

    private List<AuditEvent> events(String token, String path) {
        return search(token, path).getEntry().stream()
                .map(e -> (AuditEvent) e.getResource())
                .toList();
    }
}
