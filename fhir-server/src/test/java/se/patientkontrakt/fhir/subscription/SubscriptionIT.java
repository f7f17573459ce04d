package se.patientkontrakt.fhir.subscription;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.jpa.subscription.match.registry.SubscriptionRegistry;
import ca.uhn.fhir.jpa.subscription.submit.interceptor.SubscriptionMatcherInterceptor;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;
import org.awaitility.core.ConditionFactory;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestResourceComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.TypeRestfulInteraction;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.Subscription;
import org.hl7.fhir.r4.model.Subscription.SubscriptionChannelType;
import org.hl7.fhir.r4.model.Subscription.SubscriptionStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import se.patientkontrakt.fhir.FhirIT;
import se.patientkontrakt.fhir.subscription.RestHookReceiver.Request;

/**
 * Rest-hook Subscriptions end to end: a real HTTP receiver on a loopback port subscribes to one
 * patient's contracts or care team and gets each matching change. Every test makes its own
 * patients, so no other test's writes match its Subscriptions, and deletes its Subscriptions.
 */
class SubscriptionIT extends FhirIT {

    /** Two polls (activation, then registration) plus slack for a busy machine. */
    private static final Duration ACTIVE_WITHIN = Duration.ofSeconds(30);

    /** One poll plus the delivery, with slack; a retried delivery adds 1 s + 2 s of waiting. */
    private static final Duration NOTIFIED_WITHIN = Duration.ofSeconds(30);

    private static final String FHIR_JSON_PAYLOAD = "application/fhir+json";

    @Autowired
    private SubscriptionRegistry activeSubscriptions;

    @Autowired
    private IInterceptorService storageInterceptors;

    private final List<String> subscriptions = new ArrayList<>();
    private final List<RestHookReceiver> receivers = new ArrayList<>();

    @AfterEach
    void unsubscribeAndStopReceivers() {
        subscriptions.forEach(id -> fhir().when().delete("/Subscription/" + id));
        receivers.forEach(RestHookReceiver::close);
    }

    @Test
    void theMatcherHapiRegistersBuildsNoMessageForATypeNoSubscriptionWatches() {
        assertThat(storageInterceptors.getAllRegisteredInterceptors())
                .filteredOn(SubscriptionMatcherInterceptor.class::isInstance)
                .singleElement()
                .isInstanceOf(WatchedTypesMatcher.class);
    }

    @Test
    void anUpdatedContractIsSentToTheSubscriber() throws Exception {
        RestHookReceiver portal = receiver(RestHookReceiver.start());
        String patient = newPatient("Uppdaterad");
        CarePlan contract = storedContractFor(patient);
        subscribe("CarePlan?subject=Patient/" + patient, portal.endpoint("portal"));

        updateDescription(contract, "Ny överenskommelse om återbesök");

        // The contract's creation may still be on its way through the matching queue when the
        // subscription is registered, and be delivered first: wait for the update's delivery.
        Request delivered =
                awaitRequest(portal, to("/portal/CarePlan/" + idOf(contract)).and(r -> r.body()
                        .contains("Ny överenskommelse om återbesök")));
        assertThat(delivered.method()).isEqualTo("PUT");
        assertThat(delivered.contentType()).startsWith(FHIR_JSON_PAYLOAD);
        CarePlan payload = fhirContext.newJsonParser().parseResource(CarePlan.class, delivered.body());
        assertThat(payload.getDescription()).isEqualTo("Ny överenskommelse om återbesök");
        assertThat(payload.getSubject().getReference()).isEqualTo("Patient/" + patient);
        assertThat(payload.getMeta().getVersionId()).isEqualTo("2");
    }

    @Test
    void aNewCareTeamIsSentToTheSubscriber() throws Exception {
        RestHookReceiver portal = receiver(RestHookReceiver.start());
        String patient = newPatient("Teamsson");
        subscribe("CareTeam?subject=Patient/" + patient, portal.endpoint("team"));

        CareTeam team = read("/CareTeam/goran-karlsson-kontaktteam", CareTeam.class);
        team.setId((String) null);
        team.setSubject(new Reference("Patient/" + patient));
        String teamId = create(team);

        Request delivered = awaitRequest(portal, to("/team/CareTeam/" + teamId));
        assertThat(delivered.method()).isEqualTo("PUT");
        CareTeam payload = fhirContext.newJsonParser().parseResource(CareTeam.class, delivered.body());
        assertThat(payload.getSubject().getReference()).isEqualTo("Patient/" + patient);
    }

    @Test
    void aReceiverThatFailsTwiceGetsTheNotificationOnTheThirdAttempt() throws Exception {
        RestHookReceiver flaky = receiver(RestHookReceiver.failingFirst(2));
        String patient = newPatient("Omförsök");
        CarePlan contract = storedContractFor(patient);
        subscribe("CarePlan?subject=Patient/" + patient, flaky.endpoint("flaky"));

        updateDescription(contract, "Levereras trots två fel");

        String path = "/flaky/CarePlan/" + idOf(contract);
        awaitRequest(flaky, to(path).and(r -> r.answeredWith() == 200));
        assertThat(flaky.requests())
                .extracting(Request::path, Request::answeredWith)
                .startsWith(tuple(path, 500), tuple(path, 500), tuple(path, 200));
        assertThat(flaky.requests()).allSatisfy(r -> assertThat(r.body()).contains("Levereras trots två fel"));
    }

    @Test
    void aReceiverThatAnswersGoneIsNotAskedAgain() throws Exception {
        RestHookReceiver gone = receiver(RestHookReceiver.alwaysAnswering(410));
        String patient = newPatient("Borta");
        CarePlan contract = storedContractFor(patient);
        subscribe("CarePlan?subject=Patient/" + patient, gone.endpoint("gone"));

        updateDescription(contract, "Ingen vill ha den");

        awaitRequest(gone, to("/gone/CarePlan/" + idOf(contract)));
        // A retry would come 1 s after the first attempt; give it twice that.
        waiting().pollDelay(Duration.ofSeconds(2)).until(() -> true);
        assertThat(gone.requests()).hasSize(1);
    }

    @Test
    void anotherPatientsContractIsNotSent() throws Exception {
        RestHookReceiver receiver = receiver(RestHookReceiver.start());
        String mine = newPatient("Min");
        String other = newPatient("Annan");
        CarePlan myContract = storedContractFor(mine);
        CarePlan otherContract = storedContractFor(other);
        subscribe("CarePlan?subject=Patient/" + mine, receiver.endpoint("mine"));
        // A second subscriber, on the other patient: once it has the other change, that change
        // has been matched against every subscription, mine included.
        subscribe("CarePlan?subject=Patient/" + other, receiver.endpoint("other"));

        updateDescription(otherContract, "Den andra patientens ändring");
        awaitRequest(receiver, to("/other/CarePlan/" + idOf(otherContract)));
        updateDescription(myContract, "Min ändring");
        awaitRequest(receiver, to("/mine/CarePlan/" + idOf(myContract)));

        assertThat(receiver.requests())
                .filteredOn(r -> r.path().startsWith("/mine/"))
                .allSatisfy(r -> {
                    assertThat(r.path()).isEqualTo("/mine/CarePlan/" + idOf(myContract));
                    assertThat(r.body()).doesNotContain("Den andra patientens ändring");
                });
    }

    @Test
    void aSubscriptionToAnUnknownResourceTypeIs422() {
        Response response = fhir(Subscriptions.restHook(
                        "Patientkontrakt?subject=Patient/goran-karlsson", "http://127.0.0.1:9/x"))
                .when()
                .post("/Subscription");

        response.then().statusCode(422);
        assertThat(diagnostics(response))
                .contains("Subscription.criteria", "unsupported resource type: Patientkontrakt");
    }

    @Test
    void aSubscriptionByEmailIs422() {
        Subscription byEmail =
                Subscriptions.restHook("CarePlan?subject=Patient/goran-karlsson", "mailto:goran@example.se");
        byEmail.getChannel().setType(SubscriptionChannelType.EMAIL);

        Response response = fhir(byEmail).when().post("/Subscription");

        response.then().statusCode(422);
        assertThat(diagnostics(response)).contains("Subscription.channel.type must be 'rest-hook'", "it is 'email'");
        assertThat(outcome(response).getIssueFirstRep().getExpression().get(0).getValue())
                .isEqualTo("Subscription.channel.type");
    }

    @Test
    void aTopicBasedSubscriptionIs422() {
        Subscription topicBased =
                Subscriptions.restHook("CarePlan?subject=Patient/goran-karlsson", "http://127.0.0.1:9/x");
        topicBased
                .getMeta()
                .addProfile("http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription");

        Response response = fhir(topicBased).when().post("/Subscription");

        response.then().statusCode(422);
        assertThat(diagnostics(response)).contains("Topic-based Subscriptions", "are not supported");
    }

    @Test
    void aRestHookWithoutEndpointIs422() {
        Subscription withoutEndpoint = Subscriptions.restHook("CarePlan?subject=Patient/goran-karlsson", null);

        Response response = fhir(withoutEndpoint).when().post("/Subscription");

        response.then().statusCode(422);
        assertThat(diagnostics(response)).contains("Subscription.channel.endpoint");
    }

    @Test
    void theCapabilityStatementDescribesRestHookSubscriptions() {
        CapabilityStatement capabilities = read("/metadata", CapabilityStatement.class);

        CapabilityStatementRestResourceComponent subscription = capabilities.getRestFirstRep().getResource().stream()
                .filter(r -> r.getType().equals("Subscription"))
                .findFirst()
                .orElseThrow();
        assertThat(subscription.getInteraction())
                .extracting(i -> i.getCode())
                .contains(TypeRestfulInteraction.CREATE, TypeRestfulInteraction.DELETE);
        assertThat(subscription.getDocumentation()).contains("`rest-hook` only", "retried");
    }

    private RestHookReceiver receiver(RestHookReceiver receiver) {
        receivers.add(receiver);
        return receiver;
    }

    private String newPatient(String family) {
        Patient patient = new Patient();
        patient.addIdentifier()
                .setSystem("urn:uuid:patientkontrakt-test")
                .setValue(UUID.randomUUID().toString());
        patient.addName().setFamily(family).addGiven("Test");
        return create(patient);
    }

    /** Göran's example contract, stored again as the given patient's. */
    private CarePlan storedContractFor(String patientId) {
        CarePlan contract = read("/CarePlan/goran-karlsson-patientkontrakt", CarePlan.class);
        contract.setId((String) null);
        contract.setSubject(new Reference("Patient/" + patientId));
        return read("/CarePlan/" + create(contract), CarePlan.class);
    }

    private void updateDescription(CarePlan contract, String description) {
        contract.setDescription(description);
        fhir(contract)
                .header("If-Match", "W/\"" + contract.getMeta().getVersionId() + "\"")
                .when()
                .put("/CarePlan/" + idOf(contract))
                .then()
                .statusCode(200);
    }

    /** Creates the Subscription and waits until the server has activated and registered it. */
    private String subscribe(String criteria, String endpoint) {
        String id = create(Subscriptions.restHook(criteria, endpoint));
        subscriptions.add(id);
        waiting().atMost(ACTIVE_WITHIN).until(() -> activeSubscriptions.get(id) != null);
        assertThat(read("/Subscription/" + id, Subscription.class).getStatus()).isEqualTo(SubscriptionStatus.ACTIVE);
        return id;
    }

    private static Request awaitRequest(RestHookReceiver receiver, Predicate<Request> wanted) {
        return waiting()
                .atMost(NOTIFIED_WITHIN)
                .until(() -> receiver.requests().stream().filter(wanted).findFirst(), Optional::isPresent)
                .orElseThrow();
    }

    /**
     * Awaitility, minus its default of failing the wait on any uncaught exception in any thread: a
     * delivery the server gives up on ends with one in HAPI's delivery thread, logged, as it should.
     */
    private static ConditionFactory waiting() {
        return await().dontCatchUncaughtExceptions();
    }

    private static Predicate<Request> to(String path) {
        return request -> request.path().equals(path);
    }

    private static String idOf(Resource resource) {
        return resource.getIdElement().getIdPart();
    }
}
