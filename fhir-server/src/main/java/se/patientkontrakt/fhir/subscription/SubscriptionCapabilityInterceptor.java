package se.patientkontrakt.fhir.subscription;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.RestInterceptor;

/**
 * Says in {@code /metadata} how Subscriptions behave here. R4's CapabilityStatement has no element
 * for the channel types a server delivers, so the Subscription resource's {@code documentation}
 * carries it (<a href="https://hl7.org/fhir/R4/capabilitystatement-definitions.html#CapabilityStatement.rest.resource.documentation">CapabilityStatement.rest.resource.documentation</a>).
 */
@Component
@Interceptor
class SubscriptionCapabilityInterceptor implements RestInterceptor {

    private final SubscriptionProperties properties;

    SubscriptionCapabilityInterceptor(SubscriptionProperties properties) {
        this.properties = properties;
    }

    @Hook(value = Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED, order = HookOrder.CONTENT + 50)
    void describeSubscriptions(IBaseConformance generated) {
        if (!(generated instanceof CapabilityStatement capabilities)) {
            return;
        }
        capabilities.getRest().stream()
                .flatMap(rest -> rest.getResource().stream())
                .filter(resource -> "Subscription".equals(resource.getType()))
                .forEach(resource -> resource.setDocumentation(documentation()));
    }

    private String documentation() {
        return "Change notification, e.g. `CarePlan?subject=Patient/{id}` or `CareTeam?subject=Patient/{id}`."
                + " Criteria-based, channel type `rest-hook` only; other channel types and topic-based"
                + " Subscriptions are refused with 422."
                + " Create with status `requested`; the server sets `active` within seconds."
                + " With payload `application/fhir+json` (or `+xml`) each matching create or update is sent as"
                + " `PUT {endpoint}/{type}/{id}` with the resource; without a payload, as an empty `POST {endpoint}`."
                + " A delivery that fails is retried, with waits from 1 s growing to 1 min, for up to "
                + properties.retryFor().toSeconds() + " s.";
    }
}
