package se.patientkontrakt.fhir.server;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestResourceComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.SystemRestfulInteraction;
import org.hl7.fhir.r4.model.CapabilityStatement.TypeRestfulInteraction;
import org.springframework.stereotype.Component;

/**
 * Makes {@code /metadata} say that the server answers batch Bundles: HAPI's JPA system provider
 * does, but the statement HAPI generates lists only {@code transaction}; and lists no search
 * parameters, includes or revincludes for a type that cannot be searched (HAPI's JPA statement
 * names every registered parameter of a type that has only a read, such as {@code Binary}).
 * Features add what they do to the statement with hooks of their own at the same hook point.
 */
@Component
@Interceptor
class CapabilityStatementInterceptor implements RestInterceptor {

    @Hook(value = Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED, order = HookOrder.CONTENT + 10)
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
            for (CapabilityStatementRestResourceComponent resource : rest.getResource()) {
                if (resource.getInteraction().stream()
                        .noneMatch(i -> i.getCode() == TypeRestfulInteraction.SEARCHTYPE)) {
                    resource.getSearchParam().clear();
                    resource.getSearchInclude().clear();
                    resource.getSearchRevInclude().clear();
                }
            }
        }
    }
}
