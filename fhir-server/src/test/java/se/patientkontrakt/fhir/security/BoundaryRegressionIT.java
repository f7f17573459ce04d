package se.patientkontrakt.fhir.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.restassured.response.Response;
import java.util.Arrays;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.SearchEntryMode;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.Goal;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * The paths around the patient boundary that were found open, each shut and kept shut: a patient
 * token ({@code patient/*.read patient/CarePlan.u}) reaches nothing of another patient's, nor of a
 * contract that is not approved for them, on any of them, and cannot tell another patient's data
 * from data that does not exist.
 */
class BoundaryRegressionIT extends SecuredFhirIT {

    @Autowired
    private MeterRegistry meters;

    private BoundaryWorld world;

    @BeforeEach
    void aWorldWithAnotherPatientAndADraft() {
        world = BoundaryWorld.store(fhirContext, EHR);
    }

    /** Leak 1: a conditional create answered with whatever it matched, in the body or the Location. */
    @Test
    void aConditionalCreateNeverAnswersWithWhatItMatches() {
        CarePlan copy = world.mine.contract().copy();
        copy.setId((String) null);
        for (String prefer : List.of("return=representation", "return=minimal", "return=OperationOutcome")) {
            Response create = as(world.me)
                    .header("If-None-Exist", "subject.identifier=" + world.theirs.personnummerValue())
                    .header("Prefer", prefer)
                    .body(json(copy))
                    .when()
                    .post("/CarePlan");
            create.then().statusCode(403);
            assertThat(create.getHeader("Location")).isNull();
            assertNothingOfTheirs(create);
        }

        String createOnly = TestTokens.practitioner("user/Patient.c");
        Patient duplicate = new Patient();
        duplicate.addIdentifier().setSystem(BoundaryWorld.PERSONNUMMER).setValue(world.theirs.personnummerValue());
        Response byCare = as(createOnly)
                .header(
                        "If-None-Exist",
                        "identifier=" + BoundaryWorld.PERSONNUMMER + "|" + world.theirs.personnummerValue())
                .body(json(duplicate))
                .when()
                .post("/Patient");
        byCare.then().statusCode(403);
        assertNothingOfTheirs(byCare);

        Bundle inATransaction = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        inATransaction
                .addEntry()
                .setResource(duplicate)
                .getRequest()
                .setMethod(Bundle.HTTPVerb.POST)
                .setUrl("Patient")
                .setIfNoneExist("identifier=" + BoundaryWorld.PERSONNUMMER + "|" + world.theirs.personnummerValue());
        Response transaction = as(createOnly).body(json(inATransaction)).when().post("/");
        transaction.then().statusCode(403);
        assertNothingOfTheirs(transaction);
    }

    /** Leak 2: _has listed who treats another patient. */
    @Test
    void searchesThatReachAcrossResourcesAreRefusedAlikeForEveryValue() {
        Response theirs = as(world.me)
                .when()
                .get("/PractitionerRole?_has:CarePlan:performer:subject.identifier="
                        + world.theirs.personnummerValue());
        Response nobody = as(world.me)
                .when()
                .get("/PractitionerRole?_has:CarePlan:performer:subject.identifier=" + world.unknownPersonnummer);
        theirs.then().statusCode(403);
        assertSameAnswer(theirs, nobody, world.theirs.personnummerValue(), world.unknownPersonnummer);
        as(world.me)
                .when()
                .get("/CarePlan?subject.identifier=" + world.theirs.personnummerValue())
                .then()
                .statusCode(403);
        as(world.me)
                .when()
                .get("/Patient?_has:CarePlan:subject:_id=" + BoundaryWorld.idPart(world.draftId))
                .then()
                .statusCode(403);
    }

    /** Leak 3: a batch GET skipped the approval rule; a read in a batch came back as a search. */
    @Test
    void aBatchAnswersEachGetAsTheGetItselfWould() {
        Bundle batch = new Bundle().setType(Bundle.BundleType.BATCH);
        for (String url : List.of(
                world.draftId,
                world.draftId + "/_history",
                world.mine.contractId(),
                world.theirs.contractId(),
                "CarePlan?_count=50",
                BoundaryWorld.SARA_CONTRACT)) {
            batch.addEntry().getRequest().setMethod(Bundle.HTTPVerb.GET).setUrl(url);
        }

        Response response = as(world.me).body(json(batch)).when().post("/");

        response.then().statusCode(200);
        assertNothingOfTheirs(response, json(batch));
        Bundle answers = parse(response, Bundle.class);
        assertThat(answers.getEntry())
                .extracting(e -> e.getResponse().getStatus().substring(0, 3))
                .containsExactly("404", "404", "200", "404", "200", "404");
        assertThat(answers.getEntry().get(2).getResource()).isInstanceOf(CarePlan.class);
        assertThat(answers.getEntry().get(2).getResource().getIdElement().getIdPart())
                .isEqualTo(BoundaryWorld.idPart(world.mine.contractId()));
        Bundle search = (Bundle) answers.getEntry().get(4).getResource();
        assertThat(ids(search, SearchEntryMode.MATCH)).containsExactly(world.mine.contractId());
        assertThat(search.getTotal()).isEqualTo(1);
    }

    /** Leak 6: 403 for another patient and 404 for no one told them apart. */
    @Test
    void anotherPatientsDataAndDataThatDoesNotExistAnswerAlike() {
        String byIdentifier = "/Patient/$patientkontrakt?identifier=" + BoundaryWorld.PERSONNUMMER + "|";
        assertSameAnswer(
                as(world.me).when().get(byIdentifier + world.theirs.personnummerValue()),
                as(world.me).when().get(byIdentifier + world.unknownPersonnummer),
                world.theirs.personnummerValue(),
                world.unknownPersonnummer);
        for (String theirs : world.theirIds()) {
            String unknown = BoundaryWorld.unknown(theirs.substring(0, theirs.indexOf('/')));
            for (String suffix : List.of("", "/_history", "/_history/1")) {
                Response a = as(world.me).when().get("/" + theirs + suffix);
                Response b = as(world.me).when().get("/" + unknown + suffix);
                assertThat(a.statusCode()).as("GET %s%s", theirs, suffix).isIn(403, 404);
                assertSameAnswer(a, b, BoundaryWorld.idPart(theirs), BoundaryWorld.idPart(unknown));
            }
        }
        assertSameAnswer(
                as(world.me).when().get("/" + world.theirs.patientId() + "/$validate?mode=delete"),
                as(world.me).when().get("/" + BoundaryWorld.unknown("Patient") + "/$validate?mode=delete"),
                BoundaryWorld.idPart(world.theirs.patientId()),
                "none");

        // Deleted: 404 as for one that never was, not 410.
        Goal goal = new Goal();
        goal.setLifecycleStatus(Goal.GoalLifecycleStatus.PROPOSED);
        goal.getDescription().setText("borttaget");
        goal.getSubject().setReference(world.theirs.patientId());
        String deleted = "Goal/" + create(as(EHR), goal);
        as(EHR).when().delete("/" + deleted).then().statusCode(200);
        String unknownGoal = BoundaryWorld.unknown("Goal");
        assertSameAnswer(
                as(world.me).when().get("/" + deleted),
                as(world.me).when().get("/" + unknownGoal),
                BoundaryWorld.idPart(deleted),
                BoundaryWorld.idPart(unknownGoal));
    }

    /** Leak 7: a patient linked another patient's data into their own contract. */
    @Test
    void aPatientCannotPullAnotherPatientsDataIntoTheirContract() {
        String version = as(EHR).when().get("/" + world.mine.contractId()).getHeader("ETag");
        for (String reference : List.of(
                world.theirs.patientId(), BoundaryWorld.SARA, world.theirIds().get(3))) {
            String patch =
                    """
                    [{"op": "add", "path": "/activity/-", "value": {"detail": {
                      "code": {"coding": [{"system": "%s", "code": "patient-responsibility"}]},
                      "status": "not-started",
                      "description": "Ringa",
                      "performer": [{"reference": "%s"}]}}}]"""
                            .formatted(Vocabulary.ACTIVITY_KIND, reference);
            Response response = as(world.me)
                    .contentType("application/json-patch+json")
                    .body(patch)
                    .when()
                    .patch("/" + world.mine.contractId());
            response.then().statusCode(403);
            assertThat(diagnostics(response)).contains("may refer only to");
        }
        as(EHR).when().get("/" + world.mine.contractId()).then().header("ETag", version);
        Response view = as(EHR).when().get("/" + world.mine.patientId() + "/$patientkontrakt");
        assertThat(view.asString()).doesNotContain(world.otherPatientsMarkers().toArray(String[]::new));
    }

    /** Leak 8: withdrawing approval hid only the current version, and history then failed for good. */
    @Test
    void withdrawingApprovalHidesEveryVersionAndHistoryNeverFails() {
        as(world.me)
                .when()
                .get("/" + world.mine.contractId() + "/_history")
                .then()
                .statusCode(200);
        CarePlan withdrawn = read(EHR, world.mine.contractId(), CarePlan.class);
        withdrawn.getExtension().removeIf(e -> Vocabulary.APPROVED_FOR_PATIENT.equals(e.getUrl()));
        as(EHR).body(json(withdrawn))
                .when()
                .put("/" + world.mine.contractId())
                .then()
                .statusCode(200);

        for (int attempt = 0; attempt < 2; attempt++) {
            for (String path : List.of("", "/_history", "/_history/1", "/_history/2")) {
                as(world.me)
                        .when()
                        .get("/" + world.mine.contractId() + path)
                        .then()
                        .statusCode(404);
            }
        }
        assertThat(search(world.me, "/CarePlan").getEntry()).isEmpty();

        CarePlan again = read(EHR, world.mine.contractId(), CarePlan.class);
        again.addExtension(Vocabulary.APPROVED_FOR_PATIENT, new org.hl7.fhir.r4.model.BooleanType(true));
        as(EHR).body(json(again))
                .when()
                .put("/" + world.mine.contractId())
                .then()
                .statusCode(200);
        Bundle history = search(world.me, "/" + world.mine.contractId() + "/_history");
        assertThat(history.getEntry()).hasSize(3);
    }

    /** Leak 9: totals, _summary=count and the draft's goal told of the draft. */
    @Test
    void countsCountOnlyWhatThePatientSees() {
        assertThat(search(world.me, "/CarePlan?_summary=count").getTotal()).isEqualTo(1);
        Bundle plans = search(world.me, "/CarePlan?_total=accurate");
        assertThat(plans.getTotal()).isEqualTo(1);
        assertThat(ids(plans, SearchEntryMode.MATCH)).containsExactly(world.mine.contractId());
        int goals = world.mine.contract().getGoal().size();
        assertThat(search(world.me, "/Goal?_summary=count").getTotal()).isEqualTo(goals);
        assertThat(search(world.me, "/Goal?_total=accurate").getEntry()).hasSize(goals);
        assertThat(search(world.me, "/CareTeam?_summary=count").getTotal()).isEqualTo(1);
        assertSameAnswer(
                as(world.me).when().get("/" + world.draftGoalId),
                as(world.me).when().get("/Goal/none-draft"),
                BoundaryWorld.idPart(world.draftGoalId),
                "none-draft");
    }

    /** Leak 10: the access log showed other people, and a refused read of the draft named it. */
    @Test
    void thePatientsAccessLogNamesNothingTheyMayNotSee() {
        as(world.me).when().get("/" + world.draftId).then().statusCode(404);
        as(world.me).when().get("/" + world.theirs.contractId()).then().statusCode(404);

        Response log = as(world.me).when().get("/AuditEvent?_count=200");

        log.then().statusCode(200);
        assertNothingOfTheirs(log);
        // Care sees the refused read of the draft in the full log.
        assertThat(as(EHR).when()
                        .get("/AuditEvent?patient=" + world.mine.patientId() + "&_count=200")
                        .asString())
                .contains(BoundaryWorld.idPart(world.draftId));
    }

    /** Leak 10: a refused token left no trace. */
    @Test
    void aRefusedTokenIsCounted() {
        double before = refused("invalid");

        as(TestTokens.token(c -> c.claim("scope", "user/*.read").claim("patient", List.of("a", "b"))))
                .when()
                .get("/CarePlan")
                .then()
                .statusCode(401);

        assertThat(refused("invalid")).isEqualTo(before + 1);
    }

    private double refused(String reason) {
        var counter =
                meters.find(SecurityConfig.REFUSED_TOKENS).tag("reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    /** Nothing of another patient's, nor of the draft, in the body or a header. */
    private void assertNothingOfTheirs(Response response, String... asked) {
        String everything = response.asString() + response.getHeaders();
        for (String marker : world.markers()) {
            if (Arrays.stream(asked).noneMatch(a -> a.contains(marker))) {
                assertThat(everything)
                        .as("an answer to the patient names %s", marker)
                        .doesNotContain(marker);
            }
        }
    }

    /**
     * Two answers that must not tell their subjects apart: the same status and, once each answer's
     * own value is put in the same words, the same diagnostics.
     */
    private void assertSameAnswer(Response a, Response b, String aValue, String bValue) {
        assertThat(a.statusCode()).as("status for %s and %s", aValue, bValue).isEqualTo(b.statusCode());
        if (a.statusCode() >= 400) {
            assertThat(words(a, aValue)).isEqualTo(words(b, bValue));
        }
    }

    private String words(Response response, String value) {
        OperationOutcome outcome = outcome(response);
        return outcome.getIssue().stream()
                .map(issue -> issue.getCode() + ":" + issue.getDiagnostics())
                .reduce("", (x, y) -> x + "|" + y)
                .replace(value, "{value}");
    }
}
