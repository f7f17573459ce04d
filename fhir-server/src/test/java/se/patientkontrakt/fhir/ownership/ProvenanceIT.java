package se.patientkontrakt.fhir.ownership;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.util.List;
import java.util.Optional;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Goal;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Provenance.ProvenanceAgentComponent;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Signature;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.contract.Owner;
import se.patientkontrakt.fhir.contract.Vocabulary;
import se.patientkontrakt.fhir.security.SecuredFhirIT;
import se.patientkontrakt.fhir.security.TestTokens;

/**
 * Who owns what, and who wrote what (Patientdatalagen): each write leaves a Provenance naming the
 * commission it was made under, and the contract, its care team and goals carry their owner.
 */
class ProvenanceIT extends SecuredFhirIT {

    private static final String CARE = TestTokens.practitioner("user/*.cruds");
    private static final String REGION_FOLLOW_UP = TestTokens.token(
            c -> c.subject("follow-up").claim("azp", "region-follow-up").claim("scope", "system/*.cruds"));

    @Test
    void aContractWrittenInOneTransactionHasOneProvenanceNamingTheCommission() {
        ContractFixture contract = storedContract();

        List<Provenance> provenances = provenancesOf(contract.contractId());

        assertThat(provenances).hasSize(1);
        Provenance provenance = provenances.get(0);
        assertThat(provenance.getMeta().hasProfile(ProvenanceRecorder.PROFILE)).isTrue();
        assertThat(provenance.getActivity().getCodingFirstRep().getCode()).isEqualTo("create");
        assertThat(provenance.getTarget())
                .extracting(Reference::getReference)
                .hasSize(contract.transaction().getEntry().size())
                .contains(contract.contractId() + "/_history/1", contract.teamId() + "/_history/1")
                .allMatch(reference -> reference.endsWith("/_history/1"));
        assertThat(hsaId(agent(provenance, "custodian"))).isEqualTo(TestTokens.REGION_KALMAR);
        assertThat(hsaId(agent(provenance, "author"))).isEqualTo(TestTokens.VARDCENTRALEN_OSKARSHAMN);
        assertThat(agent(provenance, "enterer").getWho().getIdentifier().getValue())
                .isEqualTo("cosmic-ehr");
        assertThat(provenance.getRecorded()).isNotNull();

        Owner owner = new Owner(TestTokens.REGION_KALMAR, TestTokens.VARDCENTRALEN_OSKARSHAMN);
        assertThat(Owner.of(read(EHR, contract.contractId(), CarePlan.class))).contains(owner);
        assertThat(Owner.of(read(EHR, contract.teamId(), CareTeam.class))).contains(owner);
        assertThat(Owner.of(read(EHR, contract.goalIds().get(0), Goal.class))).contains(owner);
        assertThat(Owner.of(read(EHR, contract.patientId(), Patient.class)))
                .as("a patient is no one's")
                .isEmpty();
    }

    @Test
    void aPractitionersChangeNamesThemAndTheirCommissionsPurpose() {
        ContractFixture contract = storedContract();

        retitle(CARE, contract, "Ändrat").then().statusCode(200);

        Provenance change = recorded(contract.contractId(), "patch");
        assertThat(change.getTarget())
                .extracting(Reference::getReference)
                .containsExactly(contract.contractId() + "/_history/2");
        assertThat(hsaId(agent(change, "author"))).isEqualTo(TestTokens.ORTOPEDKLINIKEN_OSKARSHAMN);
        assertThat(hsaId(agent(change, "enterer"))).isEqualTo(TestTokens.ERIK_HOLM);
        assertThat(change.getReasonFirstRep().getText()).isEqualTo("Vård och behandling");
        assertThat(change.getReasonFirstRep().getCodingFirstRep().getCode()).isEqualTo("TREAT");
    }

    @Test
    void theOwnerStaysWhateverAChangeSays() {
        ContractFixture contract = storedContract();
        CarePlan plan = read(CARE, contract.contractId(), CarePlan.class);
        new Owner("SE2321000180", "SE2321000180-PSYG01").labelOnto(plan);

        as(CARE).body(json(plan)).when().put("/" + contract.contractId()).then().statusCode(200);

        assertThat(Owner.of(read(EHR, contract.contractId(), CarePlan.class)))
                .contains(new Owner(TestTokens.REGION_KALMAR, TestTokens.VARDCENTRALEN_OSKARSHAMN));
    }

    @Test
    void aNewContractsOwnerIsTheWritersCommissionWhateverItSays() {
        ContractFixture contract = ContractFixture.create(fhirContext);
        new Owner("SE2321000180", "SE2321000180-PSYG01").labelOnto(contract.contract());

        store(contract);

        assertThat(Owner.of(read(EHR, contract.contractId(), CarePlan.class)))
                .contains(new Owner(TestTokens.REGION_KALMAR, TestTokens.VARDCENTRALEN_OSKARSHAMN));
    }

    @Test
    void aPatientsAgreementNamesThePatientAsAuthorAndTheOwnerAsCustodian() {
        ContractFixture contract = ContractFixture.create(fhirContext);
        contract.contract().getExtension().removeIf(e -> e.getUrl().equals(Vocabulary.PATIENT_AGREEMENT));
        store(contract);
        String patient = TestTokens.patient(contract.patientId(), "patient/*.read patient/CarePlan.u");

        patch(patient, contract.contractId(), contract.agreementPatch("digital"))
                .then()
                .statusCode(200);

        Provenance agreement = recorded(contract.contractId(), "patch");
        assertThat(agent(agreement, "author").getWho().getReference()).isEqualTo(contract.patientId());
        assertThat(hsaId(agent(agreement, "custodian"))).isEqualTo(TestTokens.REGION_KALMAR);
        assertThat(agreement.getAgent())
                .extracting(a -> a.getType().getCodingFirstRep().getCode())
                .doesNotContain("enterer");
        assertThat(agreement.getMeta().hasProfile(ProvenanceRecorder.PROFILE)).isTrue();
        Signature signed = agreement.getSignatureFirstRep();
        assertThat(signed.getType())
                .extracting(Coding::getCode)
                .containsExactly(ProvenanceRecorder.CONSENT_SIGNATURE, "digital");
        assertThat(signed.getWho().getReference()).isEqualTo(contract.patientId());
        assertThat(agreement.getEntity())
                .as("the version the patient read and agreed to, the one before the agreement was written")
                .singleElement()
                .satisfies(entity ->
                        assertThat(entity.getWhat().getReference()).isEqualTo(contract.contractId() + "/_history/1"));

        as(patient)
                .when()
                .get("/Provenance?target=" + contract.contractId())
                .then()
                .statusCode(403);
        as(patient)
                .when()
                .get("/Provenance/" + agreement.getIdElement().getIdPart())
                .then()
                .statusCode(404);
    }

    @Test
    void anOralAgreementCareRecordsIsSignedByThePatientAndEnteredByThePractitioner() {
        ContractFixture contract = storedContract();

        Provenance created = recorded(contract.contractId(), "create");

        Signature signed = created.getSignatureFirstRep();
        assertThat(signed.getType())
                .extracting(Coding::getCode)
                .containsExactly(ProvenanceRecorder.CONSENT_SIGNATURE, "oral");
        assertThat(signed.getWho().getReference()).isEqualTo(contract.patientId());
        assertThat(signed.getWhen()).isNotNull();
        assertThat(created.getEntity()).as("agreed to the version written").isEmpty();
        assertThat(hsaId(agent(created, "author"))).isEqualTo(TestTokens.VARDCENTRALEN_OSKARSHAMN);
        assertThat(agent(created, "enterer").getWho().getIdentifier().getValue())
                .isEqualTo("cosmic-ehr");

        retitle(EHR, contract, "Göran och vården").then().statusCode(200);
        assertThat(recorded(contract.contractId(), "patch").getSignature())
                .as("a change that records no new agreement is not signed")
                .isEmpty();
    }

    @Test
    void aDeleteIsRecordedAndNeitherTheAccessLogNorProvenanceKeepsItFromHappening() {
        ContractFixture contract = storedContract();
        String goal = contract.goalIds().get(1);
        read(EHR, goal, Goal.class); // the access log now points at it, which must not keep it
        Response refused = as(EHR).when().delete("/" + goal);
        refused.then().statusCode(409);
        assertThat(diagnostics(refused)).contains(contract.contractId() + " refers to it (CarePlan.goal)");
        assertThat(provenancesOf(goal))
                .as("a refused delete leaves no record")
                .noneMatch(p -> p.getActivity().getCodingFirstRep().getCode().equals("delete"));
        CarePlan plan = read(EHR, contract.contractId(), CarePlan.class);
        plan.getGoal().removeIf(g -> g.getReference().equals(goal));
        as(EHR).body(json(plan)).when().put("/" + contract.contractId()).then().statusCode(200);

        as(EHR).when().delete("/" + goal).then().statusCode(200);

        Provenance deletion = recorded(goal, "delete");
        assertThat(deletion.getTarget()).extracting(Reference::getReference).containsExactly(goal + "/_history/1");
        read(EHR, "Provenance/" + deletion.getIdElement().getIdPart(), Provenance.class);
    }

    @Test
    void aRegionWideClientsWriteNamesTheClientAndTheOwner() {
        ContractFixture contract = storedContract();

        retitle(REGION_FOLLOW_UP, contract, "Ny").then().statusCode(200);

        Provenance change = recorded(contract.contractId(), "patch");
        assertThat(hsaId(agent(change, "custodian"))).isEqualTo(TestTokens.REGION_KALMAR);
        assertThat(change.getAgent())
                .extracting(a -> a.getType().getCodingFirstRep().getCode())
                .doesNotContain("author");
        assertThat(agent(change, "enterer").getWho().getIdentifier().getValue()).isEqualTo("region-follow-up");
        assertThat(change.getMeta().hasProfile(ProvenanceRecorder.PROFILE))
                .as("no care unit wrote it: not the national shape")
                .isFalse();
    }

    @Test
    void noClientWritesProvenance() {
        ContractFixture contract = storedContract();
        Provenance existing = provenancesOf(contract.contractId()).get(0);
        Provenance forged = existing.copy();
        forged.setId((String) null);

        assertRefused(as(EHR).body(json(forged)).when().post("/Provenance"));
        assertRefused(as(EHR).body(json(existing))
                .when()
                .put("/Provenance/" + existing.getIdElement().getIdPart()));
        assertRefused(
                as(EHR).when().delete("/Provenance/" + existing.getIdElement().getIdPart()));
        Bundle transaction = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        transaction
                .addEntry()
                .setResource(forged)
                .getRequest()
                .setMethod(Bundle.HTTPVerb.POST)
                .setUrl("Provenance");
        assertRefused(as(EHR).body(json(transaction)).when().post("/"));
        assertThat(provenancesOf(contract.contractId())).hasSize(1);
    }

    private static void assertRefused(Response response) {
        response.then().statusCode(403);
        assertThat(response.asString()).contains("Provenance is the server's record");
    }

    private Response patch(String token, String resource, String patch) {
        return as(token)
                .contentType("application/json-patch+json")
                .body(patch)
                .when()
                .patch("/" + resource);
    }

    /** The Provenance of the one change of this kind ({@code create}, {@code patch} ...) to the target. */
    private Provenance recorded(String target, String activity) {
        List<Provenance> found = provenancesOf(target).stream()
                .filter(p -> p.getActivity().getCodingFirstRep().getCode().equals(activity))
                .toList();
        assertThat(found).as("the %s of %s", activity, target).hasSize(1);
        return found.get(0);
    }

    private Response retitle(String token, ContractFixture contract, String title) {
        return patch(
                token, contract.contractId(), "[{\"op\":\"replace\",\"path\":\"/title\",\"value\":\"" + title + "\"}]");
    }

    private List<Provenance> provenancesOf(String target) {
        return search(EHR, "/Provenance?target=" + target + "&_count=100").getEntry().stream()
                .map(Bundle.BundleEntryComponent::getResource)
                .map(Provenance.class::cast)
                .toList();
    }

    private static ProvenanceAgentComponent agent(Provenance provenance, String type) {
        List<ProvenanceAgentComponent> agents = provenance.getAgent().stream()
                .filter(a -> a.getType().getCodingFirstRep().getCode().equals(type))
                .toList();
        assertThat(agents).as("the %s agent", type).hasSize(1);
        return agents.get(0);
    }

    private static String hsaId(ProvenanceAgentComponent agent) {
        return Optional.of(agent.getWho().getIdentifier())
                .filter(identifier -> identifier.getSystem().equals("urn:oid:1.2.752.29.4.19"))
                .map(identifier -> identifier.getValue())
                .orElseThrow();
    }
}
