package se.patientkontrakt.fhir.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.Subscription;
import org.hl7.fhir.r4.model.Subscription.SubscriptionStatus;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.subscription.RestHookReceiver;
import se.patientkontrakt.fhir.subscription.RestHookReceiver.Request;
import se.patientkontrakt.fhir.subscription.Subscriptions;

/**
 * Two server nodes on one PostgreSQL database, as behind a load balancer: what is written through
 * one is read, searched, updated and subscribed to correctly through the other, with no stale
 * cache on either (HAPI caches search results, resource ids and the registry of active
 * Subscriptions per node). A Subscription created through node A fires, once, for a change
 * written through node B.
 */
class ScaleOutFaultIT {

    /** The default registry sync (5 s) twice, plus a slow machine's slack. */
    private static final Duration KNOWN_ON_EVERY_NODE_WITHIN = Duration.ofSeconds(12);

    @Test
    void aContractWrittenThroughOneNodeIsServedBySubscribedToAndNotifiedThroughTheOther() throws Exception {
        ScratchPostgres postgres = ScratchPostgres.shared();
        postgres.createDatabase("scaleout_test");
        List<String> database = postgres.serverArguments("scaleout_test");
        // One after the other, as a rolling start does: the first migrates the schema.
        try (ServerProcess nodeA = ServerProcess.start("scaleout-a", database);
                ServerProcess nodeB = ServerProcess.start("scaleout-b", database);
                RestHookReceiver portal = RestHookReceiver.start()) {
            FhirHttp a = new FhirHttp(nodeA.baseUrl());
            FhirHttp b = new FhirHttp(nodeB.baseUrl());
            ContractFixture fixture = ContractFixture.create(FhirHttp.FHIR);
            String byPatient = "/CarePlan?subject=" + fixture.patientId();
            String byCareContact = "/CarePlan?care-team.fast-vardkontakt=" + fixture.careContactRoleId();
            String contract = "/" + fixture.contractId();

            // Node B has answered these searches before the contract exists: no cached answer may stay.
            assertThat(total(b.get(byPatient))).isZero();
            assertThat(total(b.get(byCareContact))).isZero();
            HttpResponse<String> notYet = b.get(contract);
            assertThat(notYet.statusCode()).as(notYet.body()).isEqualTo(404);

            assertThat(a.transaction(fixture.transaction()).statusCode()).isEqualTo(200);

            CarePlan throughB = FhirHttp.parse(ok(b.get(contract)), CarePlan.class);
            assertThat(throughB.getTitle()).isEqualTo(fixture.contract().getTitle());
            assertThat(throughB.getMeta().getVersionId()).isEqualTo("1");
            assertThat(total(b.get(byPatient))).isEqualTo(1);
            assertThat(total(b.get(byCareContact))).isEqualTo(1);
            Bundle portalView =
                    FhirHttp.parse(ok(b.get("/" + fixture.patientId() + "/$patientkontrakt")), Bundle.class);
            assertThat(portalView.getEntry()).anyMatch(e -> e.getResource()
                    .getIdElement()
                    .toUnqualifiedVersionless()
                    .getValue()
                    .equals(fixture.contractId()));

            // Optimistic locking holds across nodes: B updates version 1, A's stale If-Match is refused.
            throughB.setDescription("Ändrad via nod B");
            assertThat(b.put(contract, throughB, "W/\"1\"").statusCode()).isEqualTo(200);
            assertThat(FhirHttp.parse(ok(a.get(contract)), CarePlan.class).getDescription())
                    .isEqualTo("Ändrad via nod B");
            assertThat(a.put(contract, throughB, "W/\"1\"").statusCode()).isEqualTo(412);

            String subscription = subscribeThrough(a, byPatient.substring(1), portal.endpoint("portal"));
            // A learns at once (it activated the Subscription); B at its next registry sync.
            Thread.sleep(KNOWN_ON_EVERY_NODE_WITHIN.toMillis());

            CarePlan current = FhirHttp.parse(ok(b.get(contract)), CarePlan.class);
            current.setDescription("Nästa steg flyttat, via nod B");
            assertThat(b.put(contract, current, "W/\"2\"").statusCode()).isEqualTo(200);

            String delivered = "/portal/" + fixture.contractId();
            await().atMost(Duration.ofSeconds(30)).until(() -> portal.requests().stream()
                    .anyMatch(r -> r.path().equals(delivered)));
            // Both nodes poll the recorded changes; the change must still be delivered only once.
            Thread.sleep(5_000);
            List<Request> notifications = portal.requests().stream()
                    .filter(r -> r.path().equals(delivered))
                    .toList();
            assertThat(notifications).hasSize(1);
            assertThat(FhirHttp.FHIR
                            .newJsonParser()
                            .parseResource(CarePlan.class, notifications.get(0).body())
                            .getDescription())
                    .isEqualTo("Nästa steg flyttat, via nod B");

            assertThat(b.delete("/Subscription/" + subscription)).isEqualTo(200);
        }
    }

    private static String subscribeThrough(FhirHttp node, String criteria, String endpoint) throws Exception {
        HttpResponse<String> created = node.post("/Subscription", Subscriptions.restHook(criteria, endpoint));
        assertThat(created.statusCode()).isEqualTo(201);
        String id = FhirHttp.parse(created, Subscription.class).getIdElement().getIdPart();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> FhirHttp.parse(ok(node.get("/Subscription/" + id)), Subscription.class)
                                .getStatus()
                        == SubscriptionStatus.ACTIVE);
        return id;
    }

    private static HttpResponse<String> ok(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response;
    }

    private static int total(HttpResponse<String> search) {
        return FhirHttp.parse(ok(search), Bundle.class).getTotal();
    }
}
