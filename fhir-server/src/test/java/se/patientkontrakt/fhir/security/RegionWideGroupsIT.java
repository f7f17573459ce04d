package se.patientkontrakt.fhir.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.SearchEntryMode;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.Subscription;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.MalgruppFixture;

/**
 * A region's target groups ({@code Group}, {@code pk-malgrupp}) are its region-wide clients' alone:
 * the follow-up writes and reads them; no care token (a system's, a care user's, with any scopes) and
 * no patient token, also not of a patient the group lists, reads, searches, writes or deletes one,
 * nor gets one as an include or watches them.
 */
class RegionWideGroupsIT extends SecuredFhirIT {

    private static final String FOLLOW_UP = TestTokens.regionWide("system/Group.cruds system/Patient.rs");

    private static final String CARE_USER = TestTokens.practitioner("user/*.cruds");

    private static final String CARE_USER_WITH_GROUP_SCOPE =
            TestTokens.practitioner("user/Group.cruds user/Patient.rs");

    private ContractFixture contract;
    private String groupPath;
    private String patientToken;

    @BeforeEach
    void aGroupOfAStoredPatient() {
        contract = storedContract();
        groupPath = "/Group/malgrupp-" + contract.suffix();
        Group group = MalgruppFixture.of(fhirContext, groupPath.substring(1), contract.patientId());
        as(FOLLOW_UP).body(json(group)).when().put(groupPath).then().statusCode(201);
        patientToken = TestTokens.patient(contract.patientId(), "patient/*.read");
    }

    @Test
    void theFollowUpReadsAndSearchesItsGroups() {
        Group read = read(FOLLOW_UP, groupPath.substring(1), Group.class);
        assertThat(read.getMemberFirstRep().getEntity().getReference()).isEqualTo(contract.patientId());

        Bundle found = search(FOLLOW_UP, "Group?member=" + contract.patientId());
        assertThat(ids(found, SearchEntryMode.MATCH)).containsExactly(groupPath.substring(1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"care user", "care user with Group scopes", "EHR system", "patient in the group"})
    void noOtherTokenReadsSearchesOrWritesAGroup(String who) {
        String token = token(who);

        for (Response response : List.of(
                as(token).when().get(groupPath),
                as(token).when().get(groupPath + "/_history"),
                as(token).when().get("/Group?member=" + contract.patientId()),
                as(token).when().get("/Group?_id=none-" + contract.suffix()),
                as(token)
                        .body(json(MalgruppFixture.of(fhirContext, groupPath.substring(1), contract.patientId())))
                        .when()
                        .put(groupPath),
                as(token).when().delete(groupPath))) {
            response.then().statusCode(403);
            assertThat(diagnostics(response)).as(who).contains("region-wide clients");
        }
        read(FOLLOW_UP, groupPath.substring(1), Group.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"care user", "EHR system"})
    void aCareTokenWritesNoGroupInATransaction(String who) {
        Bundle transaction = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        Group group = MalgruppFixture.of(fhirContext, "Group/malgrupp-ny-" + contract.suffix(), contract.patientId());
        transaction
                .addEntry()
                .setResource(group)
                .getRequest()
                .setMethod(Bundle.HTTPVerb.PUT)
                .setUrl(group.getIdElement().getValue());

        Response response = as(token(who)).body(json(transaction)).when().post("/");

        response.then().statusCode(403);
        assertThat(diagnostics(response)).contains("region-wide clients");
        as(FOLLOW_UP).when().get("/" + group.getIdElement().getValue()).then().statusCode(404);
    }

    @ParameterizedTest
    @ValueSource(strings = {"care user", "EHR system", "patient in the group"})
    void aSearchThatWouldIncludeTheGroupLeavesItOut(String who) {
        String search = "Patient?_id=" + BoundaryWorld.idPart(contract.patientId()) + "&_revinclude=Group:member";

        Bundle found = search(token(who), search);

        assertThat(ids(found, SearchEntryMode.MATCH)).containsExactly(contract.patientId());
        assertThat(ids(found, SearchEntryMode.INCLUDE)).isEmpty();
        assertThat(ids(search(FOLLOW_UP, search), SearchEntryMode.INCLUDE)).containsExactly(groupPath.substring(1));
    }

    @Test
    void aCareTokenWatchesNoGroups() {
        Subscription subscription = new Subscription()
                .setStatus(Subscription.SubscriptionStatus.REQUESTED)
                .setReason("Målgrupper")
                .setCriteria("Group?code=rub-5");
        subscription
                .getChannel()
                .setType(Subscription.SubscriptionChannelType.RESTHOOK)
                .setEndpoint("http://127.0.0.1/hook");

        as(EHR).body(json(subscription)).when().post("/Subscription").then().statusCode(403);
    }

    private String token(String who) {
        return switch (who) {
            case "care user" -> CARE_USER;
            case "care user with Group scopes" -> CARE_USER_WITH_GROUP_SCOPE;
            case "EHR system" -> EHR;
            case "patient in the group" -> patientToken;
            default -> throw new IllegalArgumentException(who);
        };
    }
}
