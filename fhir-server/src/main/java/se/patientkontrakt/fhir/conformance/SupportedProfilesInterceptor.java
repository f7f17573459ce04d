package se.patientkontrakt.fhir.conformance;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CanonicalType;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestResourceComponent;
import org.hl7.fhir.r4.model.StructureDefinition;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.ConformanceResources;
import se.patientkontrakt.fhir.contract.Vocabulary;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.RestInterceptor;

/**
 * What {@code /metadata} says of the published definitions: the patient-contract profiles each
 * resource type is validated against on write ({@code rest.resource.supportedProfile}), and, for
 * our own operations, the OperationDefinitions shipped in {@code profiles/} rather than the ones
 * HAPI generates from the Java methods.
 */
@Component
@Interceptor
class SupportedProfilesInterceptor implements RestInterceptor {

    private final ConformanceResources conformance;

    SupportedProfilesInterceptor(ConformanceResources conformance) {
        this.conformance = conformance;
    }

    /** Operations whose definition is {@code profiles/OperationDefinition-pk-{name}.json}. */
    private static final Set<String> PUBLISHED_OPERATIONS =
            Set.of("patientkontrakt", "evaluate-measure", "getcareplans", "document", "accesslog");

    @Hook(value = Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED, order = HookOrder.CONTENT + 20)
    void addProfiles(IBaseConformance generated) {
        if (!(generated instanceof CapabilityStatement capabilities)) {
            return;
        }
        capabilities.getRest().stream()
                .flatMap(rest -> rest.getResource().stream())
                .flatMap(resource -> resource.getOperation().stream())
                .filter(operation -> PUBLISHED_OPERATIONS.contains(operation.getName()))
                .forEach(operation -> operation.setDefinition(
                        Vocabulary.CANONICAL_BASE + "/OperationDefinition/pk-" + operation.getName()));
        for (StructureDefinition profile : conformance.structureDefinitions()) {
            if ("constraint".equals(profile.getDerivation().toCode()) && !"Extension".equals(profile.getType())) {
                capabilities.getRest().stream()
                        .flatMap(rest -> rest.getResource().stream())
                        .filter(resource -> resource.getType().equals(profile.getType()))
                        .forEach(resource -> addOnce(resource, profile.getUrl()));
            }
        }
    }

    private static void addOnce(CapabilityStatementRestResourceComponent resource, String url) {
        if (resource.getSupportedProfile().stream().noneMatch(p -> url.equals(p.getValue()))) {
            resource.getSupportedProfile().add(new CanonicalType(url));
        }
    }
}
