package se.patientkontrakt.fhir.subscription;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import ca.uhn.fhir.subscription.SubscriptionConstants;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.hl7.fhir.r4.model.Subscription;
import org.hl7.fhir.r4.model.Subscription.SubscriptionChannelType;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.OperationOutcomeWriter;
import se.patientkontrakt.fhir.server.StorageInterceptor;

/**
 * Refuses, with 422, a Subscription that HAPI would store but this server would never deliver:
 *
 * <ul>
 *   <li>a channel other than {@code rest-hook}, the only one delivered here
 *       (<a href="https://hl7.org/fhir/R4/subscription.html#channels">subscription.html#channels</a>);
 *       HAPI would leave an e-mail, websocket, sms or message Subscription {@code requested} for
 *       ever;
 *   <li>a topic-based Subscription (the R5 backport profile), which needs HAPI's SubscriptionTopic
 *       machinery that this server does not run; criteria-based ones are what it serves.
 * </ul>
 *
 * <p>Registered with HAPI's storage interceptor service ({@code STORAGE_PRESTORAGE_RESOURCE_*}),
 * so Subscriptions in transaction Bundles pass through it too; it runs before HAPI's own
 * {@code SubscriptionValidatingInterceptor}, which checks the criteria, the endpoint and the
 * payload type.
 */
@Component
@Interceptor
class DeliverableSubscriptionInterceptor implements StorageInterceptor {

    private final FhirContext fhirContext;

    DeliverableSubscriptionInterceptor(FhirContext fhirContext) {
        this.fhirContext = fhirContext;
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED, order = HookOrder.CONTENT + 30)
    void beforeCreate(IBaseResource resource) {
        check(resource);
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED, order = HookOrder.CONTENT + 30)
    void beforeUpdate(IBaseResource previous, IBaseResource resource) {
        check(resource);
    }

    private void check(IBaseResource resource) {
        if (!(resource instanceof Subscription subscription)) {
            return;
        }
        if (subscription.getMeta().hasProfile(SubscriptionConstants.SUBSCRIPTION_TOPIC_PROFILE_URL)) {
            refuse(
                    "Subscription.meta.profile",
                    "Topic-based Subscriptions (" + SubscriptionConstants.SUBSCRIPTION_TOPIC_PROFILE_URL
                            + ") are not supported; give Subscription.criteria as a search, e.g."
                            + " CarePlan?subject=Patient/{id}");
        }
        SubscriptionChannelType type = subscription.getChannel().getType();
        if (type != SubscriptionChannelType.RESTHOOK) {
            String given = type == null ? "none" : "'" + type.toCode() + "'";
            refuse(
                    "Subscription.channel.type",
                    "Subscription.channel.type must be 'rest-hook', the only channel this server delivers; it is "
                            + given);
        }
    }

    private void refuse(String path, String message) {
        throw new UnprocessableEntityException(
                fhirContext, OperationOutcomeWriter.error(IssueType.NOTSUPPORTED, message, path));
    }
}
