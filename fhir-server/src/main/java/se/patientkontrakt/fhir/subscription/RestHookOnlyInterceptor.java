package se.patientkontrakt.fhir.subscription;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueSeverity;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.hl7.fhir.r4.model.Subscription;
import org.hl7.fhir.r4.model.Subscription.SubscriptionChannelType;

/**
 * Refuses, with 422, a Subscription whose channel is not {@code rest-hook}, the only channel this
 * server delivers (<a href="https://hl7.org/fhir/R4/subscription.html#channels">subscription.html#channels</a>).
 * HAPI would store an e-mail, websocket, sms or message Subscription and leave it
 * {@code requested} for ever, and its client would wait for notifications that never come.
 *
 * <p>Registered with HAPI's storage interceptor service ({@code STORAGE_PRESTORAGE_RESOURCE_*}),
 * so Subscriptions in transaction Bundles pass through it too; it runs before HAPI's own
 * {@code SubscriptionValidatingInterceptor}, which checks the criteria, the endpoint and the
 * payload type.
 */
@Interceptor
class RestHookOnlyInterceptor {

    private final FhirContext fhirContext;

    RestHookOnlyInterceptor(FhirContext fhirContext) {
        this.fhirContext = fhirContext;
    }

    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
    void beforeCreate(IBaseResource resource) {
        check(resource);
    }

    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
    void beforeUpdate(IBaseResource previous, IBaseResource resource) {
        check(resource);
    }

    private void check(IBaseResource resource) {
        if (!(resource instanceof Subscription subscription)) {
            return;
        }
        SubscriptionChannelType type = subscription.getChannel().getType();
        if (type == SubscriptionChannelType.RESTHOOK) {
            return;
        }
        String given = type == null ? "none" : "'" + type.toCode() + "'";
        OperationOutcome outcome = new OperationOutcome();
        outcome.addIssue()
                .setSeverity(IssueSeverity.ERROR)
                .setCode(IssueType.NOTSUPPORTED)
                .setDiagnostics("Subscription.channel.type must be 'rest-hook', the only channel this server delivers;"
                        + " it is " + given)
                .addExpression("Subscription.channel.type")
                .addLocation("Subscription.channel.type");
        throw new UnprocessableEntityException(fhirContext, outcome);
    }
}
