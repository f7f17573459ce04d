package se.patientkontrakt.fhir.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.util.List;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAction;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventOutcome;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.SearchEntryMode;
import org.hl7.fhir.r4.model.CarePlan;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.conformance.NationalDefinitions;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * A patient token (1177-type portal): the patient sees their own compartment and only contracts
 * approved for them, changes only what they own, cannot reach another patient's contract on any
 * read path, and can list who has accessed their data.
 */
class PatientAccessIT extends SecuredFhirIT {

    private static final String AGREEMENT = Vocabulary.PATIENT_AGREEMENT;
    private static final String SCOPES = "patient/*.read patient/CarePlan.u";

    private ContractFixture mine;
    private ContractFixture theirs;
    private String me;

    @BeforeEach
    void twoPatientsWithAContractEach() {
        // Not yet agreed, so that the patient can record the agreement.
        mine = ContractFixture.create(fhirContext);
        mine.contract().getExtension().removeIf(e -> e.getUrl().equals(AGREEMENT));
        store(mine);
        theirs = storedContract();
        me = TestTokens.patient(mine.patientId(), SCOPES);
    }

    private Response jsonPatch(String token, String resource, String patch) {
        return as(token)
                .contentType("application/json-patch+json")
                .body(patch)
                .when()
                .patch("/" + resource);
    }

    private List<AuditEvent> auditEvents(String token) {
        return search(token, "/AuditEvent?_count=200&_sort=-date").getEntry().stream()
                .map(e -> (AuditEvent) e.getResource())
                .toList();
    }

    private static List<String> what(AuditEvent event) {
        return event.getEntity().stream().map(e -> e.getWhat().getReference()).toList();
    }

    @Test
    void thePatientReadsTheirOwnContractOnEveryPath() {
        assertThat(read(me, mine.contractId(), CarePlan.class).getTitle()).isNotBlank();
        as(me).when().get("/" + mine.patientId()).then().statusCode(200);
        as(me).when().get("/" + mine.teamId()).then().statusCode(200);
        as(me).when().get("/" + mine.contractId() + "/_history").then().statusCode(200);

        Bundle plans = search(me, "/CarePlan?_include=CarePlan:care-team&_include=CarePlan:subject");
        assertThat(ids(plans, SearchEntryMode.MATCH)).containsExactly(mine.contractId());
        assertThat(ids(plans, SearchEntryMode.INCLUDE)).contains(mine.patientId(), mine.teamId());

        Bundle view = search(me, "/" + mine.patientId() + "/$patientkontrakt");
        assertThat(ids(view, SearchEntryMode.MATCH)).containsExactly(mine.contractId());
        assertThat(ids(view, SearchEntryMode.INCLUDE)).contains(mine.careContactRoleId());

        Bundle byIdentifier = search(
                me,
                "/Patient/$patientkontrakt?identifier=http://electronichealth.se/identifier/personnummer|"
                        + mine.personnummerValue());
        assertThat(ids(byIdentifier, SearchEntryMode.MATCH)).containsExactly(mine.contractId());

        Bundle national = search(me, "/" + mine.patientId() + "/$getcareplans");
        assertThat(ids(national, SearchEntryMode.MATCH)).containsExactly(mine.contractId());
        Bundle document = search(me, "/" + mine.contractId() + "/$document");
        assertThat(document.getType()).isEqualTo(Bundle.BundleType.DOCUMENT);
    }

    @Test
    void anotherPatientsContractIsOutOfReachOnEveryReadPath() {
        String pnr = "http://electronichealth.se/identifier/personnummer|" + theirs.personnummerValue();
        List<String> paths = List.of(
                "/" + theirs.contractId(),
                "/" + theirs.contractId() + "/_history",
                "/" + theirs.contractId() + "/_history/1",
                "/" + theirs.patientId(),
                "/" + theirs.teamId(),
                "/" + theirs.patientId() + "/$patientkontrakt",
                "/Patient/$patientkontrakt?identifier=" + pnr,
                "/" + theirs.patientId() + "/$getcareplans",
                "/Patient/$getcareplans?identifier=" + pnr,
                "/" + theirs.contractId() + "/$document",
                "/Patient?identifier=" + pnr,
                "/Patient?_id=" + theirs.patientId().replace("Patient/", ""),
                "/CarePlan?subject=" + theirs.patientId(),
                "/CarePlan?subject:Patient.identifier=" + pnr,
                "/CarePlan?_id=" + theirs.contractId().replace("CarePlan/", ""),
                "/CarePlan?care-team=" + theirs.teamId(),
                "/CareTeam?_revinclude=CarePlan:care-team&_id="
                        + theirs.teamId().replace("CareTeam/", ""),
                "/Patient?_revinclude=CarePlan:subject&_id="
                        + theirs.patientId().replace("Patient/", ""),
                "/CarePlan?_include=CarePlan:subject&subject=" + theirs.patientId(),
                "/CarePlan?next-step-due=lt2100-01-01&_include=CarePlan:subject",
                "/CarePlan/_history",
                "/_history",
                "/Goal?subject=" + theirs.patientId(),
                "/AuditEvent?patient=" + theirs.patientId());

        for (String path : paths) {
            Response response = as(me).when().get(path);
            if (response.statusCode() == 200) {
                Bundle bundle = parse(response, Bundle.class);
                assertThat(bundle.getEntry())
                        .as("GET %s must show nothing of the other patient's", path)
                        .allSatisfy(e -> assertThat(json(e.getResource()))
                                .doesNotContain(theirs.suffix())
                                .doesNotContain(theirs.personnummerValue()));
            } else {
                assertThat(response.statusCode())
                        .as("GET %s: %s", path, response.asString())
                        .isIn(403, 404);
                assertThat(outcome(response).getIssue()).as("GET %s", path).isNotEmpty();
            }
        }

        Response batch = as(me).body(
                        """
                        {"resourceType": "Bundle", "type": "batch", "entry": [
                          {"request": {"method": "GET", "url": "%s"}},
                          {"request": {"method": "GET", "url": "CarePlan?subject=%s"}}]}
                        """
                                .formatted(theirs.contractId(), theirs.patientId()))
                .when()
                .post("/");
        // Refused as a whole, or answered entry by entry without the other patient's data.
        assertThat(batch.statusCode()).isIn(200, 403);
        Bundle answers = batch.statusCode() == 200 ? parse(batch, Bundle.class) : new Bundle();
        assertThat(answers.getEntry()).allSatisfy(e -> assertThat(e.hasResource() ? json(e.getResource()) : "")
                .doesNotContain(theirs.personnummerValue())
                .doesNotContain(theirs.teamId()));
    }

    @Test
    void aContractNotApprovedForThePatientIsNotShownToThem() {
        ContractFixture draft = ContractFixture.create(fhirContext);
        draft.contract().getExtension().removeIf(e -> e.getUrl().equals(Vocabulary.APPROVED_FOR_PATIENT));
        as(EHR).body(json(draft.transaction())).when().post("/").then().statusCode(200);
        String patient = TestTokens.patient(draft.patientId(), SCOPES);

        as(patient).when().get("/" + draft.contractId()).then().statusCode(404);
        assertThat(ids(search(patient, "/CarePlan"), SearchEntryMode.MATCH)).isEmpty();
        assertThat(search(patient, "/" + draft.patientId() + "/$patientkontrakt")
                        .getEntry())
                .isEmpty();
        assertThat(search(patient, "/" + draft.patientId() + "/$getcareplans").getEntry())
                .isEmpty();
        as(patient).when().get("/" + draft.contractId() + "/$document").then().statusCode(404);
        jsonPatch(patient, draft.contractId(), draft.agreementPatch("digital"))
                .then()
                .statusCode(404);
        // Care still sees it.
        as(EHR).when().get("/" + draft.contractId()).then().statusCode(200);
    }

    @Test
    void thePatientRecordsTheirAgreementButChangesNothingOfCaresPart() {
        jsonPatch(me, mine.contractId(), mine.agreementPatch("digital")).then().statusCode(200);
        assertThat(read(me, mine.contractId(), CarePlan.class).getExtensionByUrl(AGREEMENT))
                .isNotNull();

        Response retitled = jsonPatch(
                me, mine.contractId(), "[{\"op\": \"replace\", \"path\": \"/title\", \"value\": \"Mitt eget\"}]");
        retitled.then().statusCode(403);
        assertThat(diagnostics(retitled)).contains("only their agreement");

        // Another patient's contract answers as one that does not exist.
        jsonPatch(me, theirs.contractId(), mine.agreementPatch("digital"))
                .then()
                .statusCode(404);
        Bundle intoTheirs = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        intoTheirs
                .addEntry()
                .setResource(theirs.contract())
                .getRequest()
                .setMethod(Bundle.HTTPVerb.PUT)
                .setUrl(theirs.contractId());
        // Refused for what the request itself says (another patient's subject), before any data is read.
        as(me).body(json(intoTheirs)).when().post("/").then().statusCode(403);
        as(me).when().delete("/" + mine.contractId()).then().statusCode(403);
        CarePlan copy = read(me, mine.contractId(), CarePlan.class);
        copy.setId((String) null);
        as(me).body(json(copy)).when().post("/CarePlan").then().statusCode(403);
        as(me).body(json(mine.patient().setActive(false)))
                .when()
                .put("/" + mine.patientId())
                .then()
                .statusCode(403);
    }

    @Test
    void everyAccessIsLoggedAndThePatientSeesWhoReadTheirData() {
        String doctor = TestTokens.practitioner("user/*.read");
        as(doctor).when().get("/" + mine.contractId()).then().statusCode(200);
        as(me).when().get("/" + theirs.contractId()).then().statusCode(404);
        jsonPatch(me, mine.contractId(), mine.agreementPatch("digital")).then().statusCode(200);

        List<AuditEvent> myLog = auditEvents(me);
        assertThat(myLog).allSatisfy(e -> assertThat(what(e)).contains(mine.patientId()));
        assertThat(myLog).anySatisfy(e -> {
            assertThat(e.getAction()).isEqualTo(AuditEventAction.R);
            assertThat(e.getOutcome()).isEqualTo(AuditEventOutcome._0);
            assertThat(what(e)).anyMatch(w -> w.startsWith(mine.contractId() + "/_history/"));
            assertThat(e.getAgentFirstRep().getWho().getReference()).isEqualTo("Practitioner/erik-holm");
            // Care as the directory names them; not the address or token subject they read from.
            assertThat(e.getAgentFirstRep().getNetwork().getAddress()).isNull();
            assertThat(e.getAgentFirstRep().getAltId()).isNull();
            assertThat(e.getAgent()).anyMatch(a -> TestTokens.CLIENT.equals(a.getName()));
        });
        assertThat(myLog).anySatisfy(e -> {
            assertThat(e.getAction()).isEqualTo(AuditEventAction.U);
            assertThat(e.getSubtypeFirstRep().getCode()).isEqualTo("patch");
            assertThat(e.getAgentFirstRep().getAltId()).isEqualTo("patient-" + mine.patientId());
        });
        // The patient's own refused attempt is logged for the other patient, not shown to this one.
        assertThat(myLog).noneSatisfy(e -> assertThat(what(e)).contains(theirs.patientId()));

        // The other patient sees that someone tried, and not who: no id, subject, client or address.
        List<AuditEvent> theirLog = auditEvents(TestTokens.patient(theirs.patientId(), SCOPES));
        assertThat(theirLog).anySatisfy(e -> {
            assertThat(e.getOutcome()).isEqualTo(AuditEventOutcome._4);
            assertThat(e.getOutcomeDesc()).startsWith("404");
            assertThat(what(e)).anyMatch(w -> w.startsWith(theirs.contractId()));
            assertThat(json(e))
                    .doesNotContain(mine.patientId())
                    .doesNotContain("patient-" + mine.patientId())
                    .doesNotContain(TestTokens.CLIENT);
            assertThat(e.getAgentFirstRep().getNetwork().getAddress()).isNull();
            assertThat(e.getAgentFirstRep().getWho().getReference()).isNull();
        });
        // Care reading the log sees who it was.
        assertThat(search(EHR, "/AuditEvent?patient=" + theirs.patientId() + "&_count=200")
                        .getEntry())
                .anySatisfy(e -> assertThat(((AuditEvent) e.getResource())
                                .getAgentFirstRep()
                                .getAltId())
                        .isEqualTo("patient-" + mine.patientId()));
        assertThat(theirLog).allSatisfy(e -> assertThat(what(e)).contains(theirs.patientId()));

        // The same log in the national shape (GetAccessLogForPatient): care's reads, each an
        // EHDS-TK access-log entry; the patient's own actions are not in it.
        Bundle national = search(me, "/" + mine.patientId() + "/$accesslog");
        List<AuditEvent> nationalLog = national.getEntry().stream()
                .map(e -> (AuditEvent) e.getResource())
                .toList();
        assertThat(nationalLog).isNotEmpty().allSatisfy(e -> {
            assertThat(NationalDefinitions.errors(json(e), NationalDefinitions.INERA_AUDIT_EVENT))
                    .isEmpty();
            assertThat(e.getEntity()).singleElement().satisfies(entity -> assertThat(
                            entity.getWhat().getIdentifier().getValue())
                    .isEqualTo(mine.personnummerValue()));
        });
        assertThat(nationalLog)
                .anySatisfy(e ->
                        assertThat(e.getAgentFirstRep().getWho().getDisplay()).isNotBlank());
        assertThat(nationalLog).noneSatisfy(e -> assertThat(e.getAction()).isEqualTo(AuditEventAction.U));
        // As the portal view: refused by scope (403), the same for a patient who does not exist.
        assertThat(as(me).when().get("/" + theirs.patientId() + "/$accesslog").statusCode())
                .isIn(403, 404);
        as(me).when()
                .get("/" + mine.patientId() + "/$accesslog?_count=0")
                .then()
                .statusCode(400);
    }

    @Test
    void theAccessLogCannotBeChangedOrDeletedThroughTheApi() {
        as(me).when().get("/" + mine.contractId()).then().statusCode(200);
        AuditEvent logged = auditEvents(me).get(0);
        String id = "AuditEvent/" + logged.getIdElement().getIdPart();

        logged.setOutcomeDesc("nothing happened");
        as(EHR).body(json(logged)).when().put("/" + id).then().statusCode(403);
        as(EHR).when().delete("/" + id).then().statusCode(403);
        as(EHR).body(json(new AuditEvent())).when().post("/AuditEvent").then().statusCode(403);
        as(me).when().delete("/" + id).then().statusCode(403);
        as(EHR).when().get("/" + id).then().statusCode(200);
    }
}
