package se.patientkontrakt.fhir.subscription;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.subscription.model.CanonicalSubscription;
import ca.uhn.fhir.jpa.subscription.model.ResourceDeliveryMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.Vocabulary;
import se.patientkontrakt.fhir.security.AccessControlEnabled;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.StorageInterceptor;

/**
 * With access control on, a notification goes out only for a Subscription with an owner (the tag
 * {@link SubscriptionAccessInterceptor} sets): one stored before owners were recorded, or written
 * past the API, is not delivered until its owner saves it again. Deny by default.
 */
@Component
@AccessControlEnabled
@Interceptor
class OwnedDeliveries implements StorageInterceptor {

    private static final Logger log = LoggerFactory.getLogger(OwnedDeliveries.class);

    @Hook(value = Pointcut.SUBSCRIPTION_BEFORE_REST_HOOK_DELIVERY, order = HookOrder.ACCESS + 10)
    boolean onlyOwnedSubscriptions(CanonicalSubscription subscription, ResourceDeliveryMessage delivery) {
        if (subscription.getTags().containsKey(Vocabulary.SUBSCRIPTION_OWNER)) {
            return true;
        }
        log.warn(
                "Not delivered: Subscription/{} has no owner; its creator must save it again",
                subscription.getIdPart());
        return false;
    }
}
