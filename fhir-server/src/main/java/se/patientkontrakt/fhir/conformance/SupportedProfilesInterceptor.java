package se.patientkontrakt.fhir.conformance;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CanonicalType;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestResourceComponent;
import org.hl7.fhir.r4.model.StructureDefinition;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.RestInterceptor;

/**
 * Lists the patient-contract profiles in the CapabilityStatement
 * ({@code rest.resource.supportedProfile}), so a client can see from {@code /metadata} which
 * profiles each resource type is validated against on write.
 */
@Component
@Interceptor
class SupportedProfilesInterceptor implements RestInterceptor {

    private final ConformanceResources conformance;

    SupportedProfilesInterceptor(ConformanceResources conformance) {
        this.conformance = conformance;
    }

    @Hook(Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED)
    void addProfiles(IBaseConformance generated) {
        if (!(generated instanceof CapabilityStatement capabilities)) {
            return;
        }
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
