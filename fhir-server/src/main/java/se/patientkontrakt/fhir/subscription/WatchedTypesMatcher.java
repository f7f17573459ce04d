package se.patientkontrakt.fhir.subscription;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.subscription.submit.interceptor.SubscriptionMatcherInterceptor;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.messaging.BaseResourceMessage.OperationTypeEnum;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * HAPI's subscription matcher, passing over a change that no active Subscription could want before
 * it builds the change's message. HAPI builds the message of every create, update and delete (the
 * resource encoded to JSON) and only then asks the {@code SUBSCRIPTION_RESOURCE_MODIFIED} hooks,
 * where {@link WatchedTypesInterceptor} drops it: 2.6 % of a new contract's CPU, measured with JFR
 * (BENCHMARKS.md). The same test decides here, first; the hook stays for any message built another
 * way. HAPI's submitter registers this bean as its matcher ({@link RestHookSubscriptionConfig}).
 */
class WatchedTypesMatcher extends SubscriptionMatcherInterceptor {

    private final FhirContext fhirContext;
    private final WatchedTypesInterceptor watchedTypes;

    WatchedTypesMatcher(FhirContext fhirContext, WatchedTypesInterceptor watchedTypes) {
        this.fhirContext = fhirContext;
        this.watchedTypes = watchedTypes;
    }

    @Override
    protected void processResourceModifiedEvent(
            IBaseResource resource, OperationTypeEnum operation, RequestDetails request) {
        if (watchedTypes.watched(fhirContext.getResourceType(resource))) {
            super.processResourceModifiedEvent(resource, operation, request);
        }
    }
}
