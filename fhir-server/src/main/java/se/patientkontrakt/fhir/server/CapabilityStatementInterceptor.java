package se.patientkontrakt.fhir.server;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.SystemRestfulInteraction;
import org.springframework.stereotype.Component;

/**
 * Makes {@code /metadata} say what the server really does where HAPI's generated statement falls
 * short: HAPI's JPA system provider answers batch Bundles but the generated statement lists only
 * {@code transaction}.
 */
@Component
@Interceptor
class CapabilityStatementInterceptor implements RestInterceptor {

    @Hook(Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED)
    void completeCapabilities(IBaseConformance generated) {
        if (!(generated instanceof CapabilityStatement capabilities)) {
            return;
        }
        for (CapabilityStatementRestComponent rest : capabilities.getRest()) {
            boolean hasBatch =
                    rest.getInteraction().stream().anyMatch(i -> i.getCode() == SystemRestfulInteraction.BATCH);
            if (!hasBatch) {
                rest.addInteraction().setCode(SystemRestfulInteraction.BATCH);
            }
        }
    }
}
