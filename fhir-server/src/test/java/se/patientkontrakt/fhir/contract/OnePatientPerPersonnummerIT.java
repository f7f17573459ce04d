package se.patientkontrakt.fhir.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import se.patientkontrakt.fhir.AtTheSameMoment;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.FhirIT;

/**
 * A personnummer or samordningsnummer names one Patient: a write that would store a second
 * Patient with a number another Patient holds is refused with 409 Conflict and stores nothing,
 * whether it is a create, an update under a new id, part of a transaction, written under a legacy
 * OID, or one of several such writes sent at the same moment.
 */
class OnePatientPerPersonnummerIT extends FhirIT {

    private static final String LEGACY_PERSONNUMMER_OID = "urn:oid:1.2.752.129.2.1.3.1";

    private static Patient person(String system, String personnummer, String family) {
        Patient patient = new Patient();
        patient.addIdentifier().setSystem(system).setValue(personnummer);
        patient.addName().setFamily(family).addGiven("Test");
        return patient;
    }

    private List<String> patientsWith(String personnummer) {
        Bundle found =
                read("/Patient?identifier=" + SwedishIdentifiers.PERSONNUMMER + "|" + personnummer, Bundle.class);
        return found.getEntry().stream()
                .map(e -> e.getResource()
                        .getIdElement()
                        .toUnqualifiedVersionless()
                        .getValue())
                .toList();
    }

    private void assertDuplicate(Response response, String holder, String personnummer) {
        assertThat(duplicateRefusal(response))
                .contains(holder + " already holds personnummer " + personnummer)
                .contains("Update " + holder + " instead");
    }

    /** The diagnostics of a 409 with issue code duplicate at Patient.identifier, in our words. */
    private String duplicateRefusal(Response response) {
        response.then().statusCode(409);
        OperationOutcome.OperationOutcomeIssueComponent issue =
                outcome(response).getIssueFirstRep();
        assertThat(issue.getCode()).as(response.asString()).isEqualTo(IssueType.DUPLICATE);
        assertThat(issue.getExpression()).extracting(e -> e.getValue()).containsExactly("Patient.identifier");
        assertThat(issue.getDiagnostics()).doesNotContain("HAPI-");
        return issue.getDiagnostics();
    }

    @Test
    void aSecondPatientWithTheSamePersonnummerIsRefusedAndNotStored() {
        String personnummer = ContractFixture.personnummer();
        String first = "Patient/" + create(person(SwedishIdentifiers.PERSONNUMMER, personnummer, "Först"));

        Response second = fhir(person(SwedishIdentifiers.PERSONNUMMER, personnummer, "Andra"))
                .when()
                .post("/Patient");

        assertDuplicate(second, first, personnummer);
        assertThat(patientsWith(personnummer)).containsExactly(first);
    }

    @Test
    void theSameNumberUnderTheLegacyOidIsTheSameIdentifier() {
        String personnummer = ContractFixture.personnummer();
        String first = "Patient/" + create(person(SwedishIdentifiers.PERSONNUMMER, personnummer, "Först"));
        String newId = "legacy-" + ContractFixture.create(fhirContext).suffix();

        Patient underLegacyOid = person(LEGACY_PERSONNUMMER_OID, personnummer, "Andra");
        underLegacyOid.setId(newId);

        Response second = fhir(underLegacyOid).when().put("/Patient/" + newId);

        assertDuplicate(second, first, personnummer);
        fhir().when().get("/Patient/" + newId).then().statusCode(404);
    }

    @Test
    void aContractTransactionWhosePatientIsAlreadyStoredUnderAnotherIdStoresNothing() {
        ContractFixture stored = ContractFixture.create(fhirContext);
        fhir(stored.transaction()).when().post("/").then().statusCode(200);
        ContractFixture again = ContractFixture.create(fhirContext);
        again.patient().getIdentifierFirstRep().setValue(stored.personnummerValue());

        Response response = fhir(again.transaction()).when().post("/");

        assertDuplicate(response, stored.patientId(), stored.personnummerValue());
        fhir().when().get("/" + again.patientId()).then().statusCode(404);
        fhir().when().get("/" + again.contractId()).then().statusCode(404);
        fhir().when().get("/" + again.teamId()).then().statusCode(404);
        assertThat(patientsWith(stored.personnummerValue())).containsExactly(stored.patientId());
    }

    @Test
    void oneTransactionWithTwoPatientsOfOnePersonnummerStoresNeither() {
        String personnummer = ContractFixture.personnummer();
        Bundle transaction = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        for (String family : List.of("Först", "Andra")) {
            transaction
                    .addEntry()
                    .setFullUrl("urn:uuid:" + java.util.UUID.randomUUID())
                    .setResource(person(SwedishIdentifiers.PERSONNUMMER, personnummer, family))
                    .getRequest()
                    .setMethod(Bundle.HTTPVerb.POST)
                    .setUrl("Patient");
        }

        Response response = fhir(transaction).when().post("/");

        assertThat(duplicateRefusal(response))
                .contains("Two Patients in this transaction have personnummer " + personnummer);
        assertThat(patientsWith(personnummer)).isEmpty();
    }

    @Test
    void thePatientItselfCanBeUpdatedAndOnceDeletedItsNumberIsFree() {
        String personnummer = ContractFixture.personnummer();
        Patient patient = person(SwedishIdentifiers.PERSONNUMMER, personnummer, "Först");
        String id = create(patient);
        patient.setId(id);
        patient.getNameFirstRep().setFamily("Omgift");

        fhir(patient).when().put("/Patient/" + id).then().statusCode(200);
        fhir().when().delete("/Patient/" + id).then().statusCode(200);
        String next = "Patient/" + create(person(SwedishIdentifiers.PERSONNUMMER, personnummer, "Ny"));

        assertThat(patientsWith(personnummer)).containsExactly(next);
    }

    @Test
    void ofPatientsWithOneNewPersonnummerSentAtTheSameMomentExactlyOneIsStored() throws Exception {
        int clients = 8;
        String personnummer = ContractFixture.personnummer();
        List<Response> responses = AtTheSameMoment.run(clients, i -> {
            String body = json(person(SwedishIdentifiers.PERSONNUMMER, personnummer, "Klient" + i));
            return () -> fhir().body(body).when().post("/Patient");
        });

        assertThat(responses).extracting(Response::statusCode).containsOnly(201, 409);
        assertThat(responses.stream().filter(r -> r.statusCode() == 201)).hasSize(1);
        for (Response refused :
                responses.stream().filter(r -> r.statusCode() == 409).toList()) {
            OperationOutcome.OperationOutcomeIssueComponent issue =
                    outcome(refused).getIssueFirstRep();
            assertThat(issue.getCode()).as(refused.asString()).isEqualTo(IssueType.DUPLICATE);
            assertThat(issue.getDiagnostics()).contains("one person is one Patient");
        }
        assertThat(patientsWith(personnummer)).hasSize(1);
    }

    @Test
    void theUniquenessRuleIsNeitherListedNorSearchable() {
        CapabilityStatement capabilities = read("/metadata", CapabilityStatement.class);
        List<String> patientSearch = capabilities.getRestFirstRep().getResource().stream()
                .filter(r -> r.getType().equals("Patient"))
                .flatMap(r -> r.getSearchParam().stream())
                .map(p -> p.getName())
                .toList();
        assertThat(patientSearch).contains("identifier").doesNotContain("identifier-unique");

        Response search = fhir().when()
                .get("/Patient?identifier-unique=" + SwedishIdentifiers.PERSONNUMMER + "|"
                        + ContractFixture.personnummer());

        search.then().statusCode(400);
        assertThat(diagnostics(search)).contains("not a way to search", "identifier={system}|{value}");
    }

    /** The rule is refused wherever a search names it; a chain of its own made HAPI fail with 500. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "identifier-unique.name=x",
                "identifier-unique:missing=true",
                "link:Patient.identifier-unique=x",
                "_has:Patient:link:identifier-unique=x"
            })
    void theUniquenessRuleIsNoSearchWhereverItIsNamed(String query) {
        Response search = fhir().urlEncodingEnabled(false).when().get("/Patient?" + query);

        search.then().statusCode(400);
        assertThat(diagnostics(search)).contains("not a way to search");
    }
}
