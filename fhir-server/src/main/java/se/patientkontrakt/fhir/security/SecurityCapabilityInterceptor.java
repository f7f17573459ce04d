package se.patientkontrakt.fhir.security;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestSecurityComponent;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.UriType;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.RestInterceptor;

/**
 * The CapabilityStatement's {@code rest.security}: SMART on FHIR, the identity provider's
 * endpoints (extension {@code oauth-uris}, SMART App Launch 1.0, still read by many clients), and
 * in words how scopes map to access and that every access to patient data is logged.
 */
@Component
@AccessControlEnabled
@Interceptor
class SecurityCapabilityInterceptor implements RestInterceptor {

    static final String OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";

    private final AccessControlProperties properties;

    SecurityCapabilityInterceptor(AccessControlProperties properties) {
        this.properties = properties;
    }

    @Hook(value = Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED, order = HookOrder.CONTENT + 60)
    void describeSecurity(IBaseConformance generated) {
        if (!(generated instanceof CapabilityStatement capabilities)) {
            return;
        }
        for (CapabilityStatementRestComponent rest : capabilities.getRest()) {
            CapabilityStatementRestSecurityComponent security = rest.getSecurity();
            security.addService(new CodeableConcept(new Coding(
                            "http://terminology.hl7.org/CodeSystem/restful-security-service",
                            "SMART-on-FHIR",
                            "SMART-on-FHIR"))
                    .setText("OAuth2 bearer tokens (JWT) with SMART on FHIR scopes"));
            security.setDescription("Every request needs a bearer JWT from the configured issuer, for this"
                    + " server's audience. SMART scopes (v1 patient/CarePlan.read, v2 patient/CarePlan.rs;"
                    + " patient/, user/, system/) decide what it may read and write. A patient token (claim"
                    + " 'patient', or fhirUser = Patient/...) sees only its patient's compartment and only"
                    + " contracts approved for the patient, and may change only the agreement and the"
                    + " patient-owned actions. Every read and write of patient data is logged as an AuditEvent."
                    + " See .well-known/smart-configuration.");
            Extension uris = new Extension(OAUTH_URIS);
            if (properties.authorizationEndpoint() != null) {
                uris.addExtension("authorize", new UriType(properties.authorizationEndpoint()));
            }
            if (properties.tokenEndpoint() != null) {
                uris.addExtension("token", new UriType(properties.tokenEndpoint()));
            }
            if (uris.hasExtension()) {
                security.addExtension(uris);
            }
        }
    }
}
