package se.patientkontrakt.fhir.security;

import ca.uhn.fhir.context.FhirContext;
import io.restassured.RestAssured;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.Goal;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.Reference;
import se.patientkontrakt.fhir.ConsentFixture;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.MalgruppFixture;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * The data a patient boundary test runs against: the patient ("mine", with a contract approved for
 * them, and a second contract that is not, with a goal only that draft names, and a samtycke),
 * another patient with an approved contract and a spärr ("theirs"), a region's target group that
 * lists them both, and Sara from the examples. What the patient may not see
 * leaves markers (ids, personnummer, names) that must never appear in an answer to them; every id
 * has a counterpart that does not exist, for answers that must not tell the two apart.
 */
final class BoundaryWorld {

    static final String SARA = "Patient/sara-lindqvist";
    static final String SARA_PERSONNUMMER = "199002272384";
    static final String SARA_CONTRACT = "CarePlan/sara-lindqvist-patientkontrakt";
    static final String SARA_TEAM = "CareTeam/sara-lindqvist-kontaktteam";
    static final String SARA_GOAL = "Goal/sara-lindqvist-vad-ar-viktigt";
    static final String SARA_CONSENT = "Consent/sara-lindqvist-yttre-sparr";
    /** A role only Sara's care team names (psychiatry): who treats her is hers to tell. */
    static final String SARA_CARE_ROLE = "PractitionerRole/jonas-ahlgren-psykiatri-gavle";

    static final String PERSONNUMMER = "http://electronichealth.se/identifier/personnummer";
    static final String SCOPES = "patient/*.read patient/CarePlan.u";

    final ContractFixture mine;
    final ContractFixture theirs;
    final String draftId;
    final String draftGoalId;
    /** The patient's samtycke, and the other patient's yttre spärr. */
    final String mineConsentId;

    final String theirConsentId;
    /** The region's target group (RUB 5) of both patients: the region-wide follow-up's alone. */
    final String groupId;

    final String me;
    /** The goals the patient's approved contract names, as stored. */
    final List<String> mineGoals;
    /** A valid personnummer no patient holds. */
    final String unknownPersonnummer;

    private BoundaryWorld(
            ContractFixture mine, ContractFixture theirs, String draftId, String draftGoalId, List<String> mineGoals) {
        this.mine = mine;
        this.mineConsentId = "Consent/samtycke-" + mine.suffix();
        this.theirConsentId = "Consent/sparr-" + theirs.suffix();
        this.groupId = "Group/malgrupp-" + mine.suffix();
        this.mineGoals = mineGoals;
        this.theirs = theirs;
        this.draftId = draftId;
        this.draftGoalId = draftGoalId;
        this.me = TestTokens.patient(mine.patientId(), SCOPES);
        this.unknownPersonnummer = ContractFixture.personnummer();
    }

    /** Stores a fresh world through the EHR integration's token. */
    static BoundaryWorld store(FhirContext fhirContext, String ehrToken) {
        ContractFixture mine = ContractFixture.create(fhirContext);
        ContractFixture theirs = ContractFixture.create(fhirContext);
        String suffix = mine.suffix();
        String draftId = "CarePlan/utkast-" + suffix;
        String draftGoalId = "Goal/utkast-mal-" + suffix;

        for (Bundle transaction : List.of(mine.transaction(), theirs.transaction())) {
            post(fhirContext, ehrToken, transaction);
        }
        // The draft is a copy of the stored contract (its references resolved), not approved, with a
        // goal that only it names.
        CarePlan stored = read(fhirContext, ehrToken, mine.contractId(), CarePlan.class);
        Goal draftGoal = read(fhirContext, ehrToken, stored.getGoal().get(0).getReference(), Goal.class);
        draftGoal.setId(draftGoalId);
        draftGoal.getMeta().setVersionId(null).setLastUpdatedElement(null);
        draftGoal.getDescription().setText("Utkast: ett mål som bara utkastet nämner");
        CarePlan draft = stored.copy();
        draft.setId(draftId);
        draft.getMeta().setVersionId(null).setLastUpdatedElement(null);
        draft.setTitle("Utkast till patientkontrakt");
        draft.getExtension().removeIf(e -> Vocabulary.APPROVED_FOR_PATIENT.equals(e.getUrl()));
        draft.addGoal(new Reference(draftGoalId));
        Bundle drafts = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        for (var resource : List.of(draftGoal, draft)) {
            drafts.addEntry()
                    .setResource(resource)
                    .getRequest()
                    .setMethod(Bundle.HTTPVerb.PUT)
                    .setUrl(resource.getIdElement().getValue());
        }
        post(fhirContext, ehrToken, drafts);
        List<String> mineGoals =
                stored.getGoal().stream().map(Reference::getReference).toList();
        BoundaryWorld world = new BoundaryWorld(mine, theirs, draftId, draftGoalId, mineGoals);
        Bundle consents = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        Consent samtycke = ConsentFixture.about(fhirContext, ConsentFixture.SAMTYCKE, mine.patientId());
        samtycke.setId(world.mineConsentId);
        Consent sparr = ConsentFixture.about(fhirContext, ConsentFixture.YTTRE_SPARR, theirs.patientId());
        sparr.setId(world.theirConsentId);
        for (Consent consent : List.of(samtycke, sparr)) {
            consents.addEntry()
                    .setResource(consent)
                    .getRequest()
                    .setMethod(Bundle.HTTPVerb.PUT)
                    .setUrl(consent.getIdElement().getValue());
        }
        post(fhirContext, ehrToken, consents);
        Group group = MalgruppFixture.of(fhirContext, world.groupId, mine.patientId(), theirs.patientId());
        RestAssured.given()
                .contentType("application/fhir+json")
                .auth()
                .oauth2(TestTokens.regionWide("system/Group.cruds"))
                .body(fhirContext.newJsonParser().encodeResourceToString(group))
                .when()
                .put("/" + world.groupId)
                .then()
                .log()
                .ifValidationFails()
                .statusCode(201);
        return world;
    }

    private static void post(FhirContext fhirContext, String token, Bundle transaction) {
        RestAssured.given()
                .contentType("application/fhir+json")
                .auth()
                .oauth2(token)
                .body(fhirContext.newJsonParser().encodeResourceToString(transaction))
                .when()
                .post("/")
                .then()
                .log()
                .ifValidationFails()
                .statusCode(200);
    }

    private static <T extends IBaseResource> T read(FhirContext fhirContext, String token, String path, Class<T> type) {
        String body = RestAssured.given()
                .accept("application/fhir+json")
                .auth()
                .oauth2(token)
                .when()
                .get("/" + path)
                .then()
                .statusCode(200)
                .extract()
                .asString();
        return fhirContext.newJsonParser().parseResource(type, body);
    }

    /** What must never appear in an answer to the patient. */
    List<String> markers() {
        List<String> markers = new ArrayList<>(List.of(
                idPart(theirs.patientId()),
                idPart(theirs.contractId()),
                idPart(theirs.teamId()),
                theirs.personnummerValue(),
                idPart(draftId),
                idPart(draftGoalId),
                idPart(theirConsentId),
                idPart(groupId),
                "sara-lindqvist",
                SARA_PERSONNUMMER,
                "Lindqvist"));
        theirs.transaction().getEntry().stream()
                .map(Bundle.BundleEntryComponent::getResource)
                .filter(Goal.class::isInstance)
                .forEach(goal -> markers.add(goal.getIdElement().getIdPart()));
        return markers;
    }

    /**
     * What must never appear in an answer to care without a care relationship: the ids of every
     * contract, team, goal and consent here, the patient's own as well as the others'.
     */
    List<String> patientDataMarkers() {
        List<String> markers = new ArrayList<>(List.of(
                idPart(mine.contractId()),
                idPart(mine.teamId()),
                idPart(mineConsentId),
                idPart(theirs.contractId()),
                idPart(theirs.teamId()),
                idPart(draftId),
                idPart(draftGoalId),
                idPart(theirConsentId),
                idPart(groupId),
                idPart(SARA_CONTRACT),
                idPart(SARA_TEAM),
                idPart(SARA_GOAL),
                idPart(SARA_CONSENT)));
        mineGoals.forEach(goal -> markers.add(idPart(goal)));
        theirs.transaction().getEntry().stream()
                .map(Bundle.BundleEntryComponent::getResource)
                .filter(Goal.class::isInstance)
                .forEach(goal -> markers.add(goal.getIdElement().getIdPart()));
        return markers;
    }

    /** What must never appear in what anyone but care for them sees of another patient. */
    List<String> otherPatientsMarkers() {
        return markers().stream()
                .filter(marker -> !marker.equals(idPart(draftId)) && !marker.equals(idPart(draftGoalId)))
                .toList();
    }

    /** Their ids of patient data, for probes that name another patient's resources. */
    List<String> theirIds() {
        List<String> ids = new ArrayList<>(List.of(theirs.patientId(), theirs.contractId(), theirs.teamId()));
        theirs.transaction().getEntry().stream()
                .map(Bundle.BundleEntryComponent::getResource)
                .filter(Goal.class::isInstance)
                .forEach(goal -> ids.add("Goal/" + goal.getIdElement().getIdPart()));
        return ids;
    }

    static String idPart(String reference) {
        return reference.substring(reference.indexOf('/') + 1);
    }

    /** An id of the type that no resource has. */
    static String unknown(String type) {
        return type + "/none-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
