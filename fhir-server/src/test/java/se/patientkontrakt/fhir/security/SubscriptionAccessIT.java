package se.patientkontrakt.fhir.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.restassured.response.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Subscription;
import org.hl7.fhir.r4.model.Subscription.SubscriptionStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.contract.Vocabulary;
import se.patientkontrakt.fhir.subscription.RestHookReceiver;
import se.patientkontrakt.fhir.subscription.Subscriptions;

/**
 * Leak 4: a token that could only create Subscriptions had another patient's contract sent to an
 * address of its choosing, unlogged. Now a Subscription needs the right to read what it watches,
 * goes only to allowed endpoints, belongs to the token that made it, and every notification of
 * patient data is in the access log.
 */
class SubscriptionAccessIT extends SecuredFhirIT {

    private static final String SUBSCRIBER = TestTokens.token(c -> c.subject("portal-backend")
            .claim("azp", "portal-1177")
            .claim("scope", "system/Subscription.cruds system/CarePlan.rs"));

    private final List<String> subscriptions = new ArrayList<>();
    private final List<RestHookReceiver> receivers = new ArrayList<>();

    @AfterEach
    void unsubscribe() {
        subscriptions.forEach(id -> as(SUBSCRIBER).when().delete("/Subscription/" + id));
        receivers.forEach(RestHookReceiver::close);
    }

    @Test
    void aTokenThatMayNotReadWhatItWatchesCannotSubscribe() {
        String createOnly = TestTokens.system("system/Subscription.c");
        Response response = as(createOnly)
                .body(json(Subscriptions.restHook("CarePlan?status=active", "http://127.0.0.1:9/none")))
                .when()
                .post("/Subscription");

        response.then().statusCode(403);
        assertThat(diagnostics(response)).contains("needs a token that may read CarePlan");
        String patient = TestTokens.patient(storedContract().patientId(), "patient/*.read patient/Subscription.c");
        as(patient)
                .body(json(Subscriptions.restHook("CarePlan?status=active", "http://127.0.0.1:9/none")))
                .when()
                .post("/Subscription")
                .then()
                .statusCode(403);
    }

    @Test
    void notificationsGoOnlyToAllowedEndpoints() {
        for (String endpoint : List.of(
                "https://attacker.example/collect", "http://localhost.attacker.example/x", "ftp://127.0.0.1/x")) {
            Response response = as(SUBSCRIBER)
                    .body(json(Subscriptions.restHook("CarePlan?status=active", endpoint)))
                    .when()
                    .post("/Subscription");
            response.then().statusCode(422);
            assertThat(diagnostics(response)).contains("allowed-endpoints");
        }
    }

    @Test
    void aSubscriptionIsItsOwnersAlone() throws Exception {
        Subscription asked = Subscriptions.restHook("CarePlan?status=active", "http://127.0.0.1:9/none");
        asked.getMeta().addTag(Vocabulary.SUBSCRIPTION_OWNER, TestTokens.ISSUER + "|someone-else", null);
        String id = subscribe(asked);

        Subscription stored = parse(
                as(SUBSCRIBER)
                        .when()
                        .get("/Subscription/" + id)
                        .then()
                        .statusCode(200)
                        .extract()
                        .response(),
                Subscription.class);
        assertThat(stored.getMeta().getTag())
                .filteredOn(tag -> Vocabulary.SUBSCRIPTION_OWNER.equals(tag.getSystem()))
                .extracting(Coding::getCode)
                .containsExactly(TestTokens.ISSUER + "|portal-backend");

        String other = TestTokens.token(
                c -> TestTokens.unit(c.subject("another-backend").claim("scope", "system/Subscription.cruds")));
        as(other).when().get("/Subscription/" + id).then().statusCode(404);
        as(other).when().delete("/Subscription/" + id).then().statusCode(404);
        as(other).body(json(stored)).when().put("/Subscription/" + id).then().statusCode(404);
        Bundle theirs = search(other, "/Subscription?_total=accurate");
        assertThat(ids(theirs, Bundle.SearchEntryMode.MATCH)).doesNotContain("Subscription/" + id);
        assertThat(theirs.getTotal()).isEqualTo(theirs.getEntry().size());
        assertThat(ids(search(SUBSCRIBER, "/Subscription"), Bundle.SearchEntryMode.MATCH))
                .contains("Subscription/" + id);
    }

    @Test
    void everyNotificationOfPatientDataIsInTheAccessLog() throws Exception {
        RestHookReceiver receiver = RestHookReceiver.start();
        receivers.add(receiver);
        ContractFixture contract = storedContract();
        subscribe(Subscriptions.restHook("CarePlan?subject=" + contract.patientId(), receiver.endpoint("portal")));

        CarePlan changed = parse(
                as(EHR).when().get("/" + contract.contractId()).then().extract().response(), CarePlan.class);
        // The Subscription is ACTIVE in the database a moment before the matcher has it registered:
        // a change in between is not matched, so the change is made again until one is delivered.
        await().dontCatchUncaughtExceptions()
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(3))
                .until(() -> {
                    changed.setDescription("Ändrad för att utlösa en notifiering " + System.nanoTime());
                    as(EHR).body(json(changed))
                            .when()
                            .put("/" + contract.contractId())
                            .then()
                            .statusCode(200);
                    return receiver.requests().stream().anyMatch(r -> r.path().startsWith("/portal/CarePlan/"));
                });
        List<AuditEvent> exports = await().dontCatchUncaughtExceptions()
                .atMost(Duration.ofSeconds(30))
                .until(
                        () ->
                                search(EHR, "/AuditEvent?patient=" + contract.patientId() + "&_count=200")
                                        .getEntry()
                                        .stream()
                                        .map(e -> (AuditEvent) e.getResource())
                                        .filter(e -> "110106".equals(e.getType().getCode()))
                                        .toList(),
                        list -> !list.isEmpty());
        AuditEvent export = exports.get(0);
        assertThat(export.getAgentFirstRep().getAltId()).isEqualTo("portal-backend");
        assertThat(export.getAgentFirstRep().getNetwork().getAddress()).isEqualTo("127.0.0.1");
        assertThat(export.getEntity())
                .extracting(e -> e.getWhat().hasReference()
                        ? e.getWhat().getReference()
                        : e.getWhat().getDisplay())
                .anyMatch(what -> what.startsWith(contract.contractId() + "/_history/"))
                .anyMatch(what -> what.startsWith("Subscription/"));

        // The patient sees that their contract was sent, not to whom by token.
        String patient = TestTokens.patient(contract.patientId(), "patient/*.read");
        assertThat(search(patient, "/AuditEvent?_count=200").getEntry())
                .extracting(e -> (AuditEvent) e.getResource())
                .filteredOn(e -> "110106".equals(e.getType().getCode()))
                .isNotEmpty()
                .allSatisfy(e ->
                        assertThat(json(e)).doesNotContain("portal-backend").doesNotContain("127.0.0.1"));
    }

    private String subscribe(Subscription subscription) {
        String id = as(SUBSCRIBER)
                .body(json(subscription))
                .when()
                .post("/Subscription")
                .then()
                .statusCode(201)
                .extract()
                .path("id");
        subscriptions.add(id);
        await().dontCatchUncaughtExceptions()
                .atMost(Duration.ofSeconds(60))
                .until(() -> parse(as(SUBSCRIBER).when().get("/Subscription/" + id), Subscription.class)
                                .getStatus()
                        == SubscriptionStatus.ACTIVE);
        return id;
    }
}
