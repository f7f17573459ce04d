package se.patientkontrakt.fhir.server;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestResourceComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestResourceOperationComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.SystemRestfulInteraction;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.conformance.ConformanceResources;
import se.patientkontrakt.fhir.conformance.OnePatientPerIdentifierInterceptor;

/**
 * Makes {@code /metadata} say what the server really does where HAPI's generated statement falls
 * short: HAPI's JPA system provider answers batch Bundles but the generated statement lists only
 * {@code transaction}; and our own operations point at their published OperationDefinitions
 * (shipped in {@code profiles/}) rather than at a definition HAPI generates from the Java method;
 * and the uniqueness rule on Patient identifiers, which HAPI lists as a composite search
 * parameter, is left out, since it cannot be searched ({@link OnePatientPerIdentifierInterceptor}).
 */
@Component
@Interceptor
class CapabilityStatementInterceptor implements RestInterceptor {

    /** Operations whose definition is {@code profiles/OperationDefinition-pk-{name}.json}. */
    private static final Set<String> PUBLISHED_OPERATIONS = Set.of("patientkontrakt", "evaluate-measure");

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
            for (CapabilityStatementRestResourceComponent resource : rest.getResource()) {
                resource.getSearchParam()
                        .removeIf(
                                parameter -> OnePatientPerIdentifierInterceptor.RULE_CODE.equals(parameter.getName()));
                for (CapabilityStatementRestResourceOperationComponent operation : resource.getOperation()) {
                    if (PUBLISHED_OPERATIONS.contains(operation.getName())) {
                        operation.setDefinition(
                                ConformanceResources.CANONICAL_BASE + "/OperationDefinition/pk-" + operation.getName());
                    }
                }
            }
        }
    }
}
