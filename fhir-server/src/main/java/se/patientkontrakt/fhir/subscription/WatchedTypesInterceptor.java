package se.patientkontrakt.fhir.subscription;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.subscription.match.matcher.subscriber.SubscriptionCriteriaParser;
import ca.uhn.fhir.jpa.subscription.match.registry.SubscriptionRegistry;
import ca.uhn.fhir.jpa.subscription.model.CanonicalSubscription;
import ca.uhn.fhir.jpa.subscription.model.ResourceModifiedMessage;
import java.util.Set;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.StorageInterceptor;

/**
 * Records a change for matching only when an active Subscription watches its resource type.
 * HAPI records every create, update and delete ({@code HFJ_RESOURCE_MODIFIED}), then reads each
 * back, matches it and deletes the record, even when no Subscription could match: three more
 * database round trips per write, for nothing, on a server whose Subscriptions watch contracts and
 * care teams. Changes to Subscriptions themselves always pass, since they activate and retire
 * Subscriptions.
 *
 * <p>Hook {@code SUBSCRIPTION_RESOURCE_MODIFIED} (returning {@code false} drops the change), a
 * storage interceptor. The registry is this node's; with several nodes on one
 * database, {@link SubscriptionRegistrySync} keeps it within {@code registry-sync} of what is
 * stored, so a Subscription created through another node counts here after at most that long. A
 * change written in the second between a Subscription's creation and its activation may be
 * dropped here where HAPI might still have matched it; the FHIR spec promises notifications from
 * activation on.
 */
@Component
@Interceptor
class WatchedTypesInterceptor implements StorageInterceptor {

    private static final String SUBSCRIPTION = "Subscription";

    private final FhirContext fhirContext;
    private final SubscriptionRegistry activeSubscriptions;

    WatchedTypesInterceptor(FhirContext fhirContext, SubscriptionRegistry activeSubscriptions) {
        this.fhirContext = fhirContext;
        this.activeSubscriptions = activeSubscriptions;
    }

    @Hook(value = Pointcut.SUBSCRIPTION_RESOURCE_MODIFIED, order = HookOrder.EFFECTS + 10)
    boolean recordIfWatched(ResourceModifiedMessage change) {
        return watched(change.getResourceType(fhirContext));
    }

    /** Whether a change to a resource of this type is recorded: a Subscription, or a type one watches. */
    boolean watched(String type) {
        return SUBSCRIPTION.equals(type)
                || activeSubscriptions.getAll().stream().anyMatch(active -> watches(active.getSubscription(), type));
    }

    private static boolean watches(CanonicalSubscription subscription, String type) {
        SubscriptionCriteriaParser.SubscriptionCriteria criteria =
                SubscriptionCriteriaParser.parse(subscription.getCriteriaString());
        if (criteria == null) {
            return true;
        }
        Set<String> types = criteria.getApplicableResourceTypes();
        return types == null || types.contains(type);
    }
}
