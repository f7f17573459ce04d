package se.patientkontrakt.fhir.subscription;

import org.hl7.fhir.r4.model.Subscription;
import org.hl7.fhir.r4.model.Subscription.SubscriptionChannelType;
import org.hl7.fhir.r4.model.Subscription.SubscriptionStatus;

/** Subscriptions as a portal asks for them, for the tests. */
public final class Subscriptions {

    private Subscriptions() {}

    /** A requested rest-hook Subscription that sends each matching resource as FHIR JSON. */
    public static Subscription restHook(String criteria, String endpoint) {
        Subscription subscription = new Subscription();
        subscription.setStatus(SubscriptionStatus.REQUESTED);
        subscription.setReason("The portal shows the patient's current contract");
        subscription.setCriteria(criteria);
        subscription
                .getChannel()
                .setType(SubscriptionChannelType.RESTHOOK)
                .setEndpoint(endpoint)
                .setPayload("application/fhir+json");
        return subscription;
    }
}
