package se.patientkontrakt.fhir.audit;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.subscription.model.CanonicalSubscription;
import ca.uhn.fhir.jpa.subscription.model.ResourceDeliveryMessage;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import java.net.URI;
import java.util.Date;
import java.util.Optional;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAction;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAgentNetworkType;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventOutcome;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.Vocabulary;
import se.patientkontrakt.fhir.security.AccessControlEnabled;
import se.patientkontrakt.fhir.security.PatientData;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.StorageInterceptor;

/**
 * A notification is a read by the Subscription's owner: each rest-hook delivery of patient data
 * writes an AuditEvent (type DICOM 110106 <em>Export</em>) naming the owner (the token's issuer
 * and subject that created the Subscription), the receiver's address, the patient, the resource
 * version sent and the Subscription, so the patient sees in "Vem har läst mitt kontrakt" that it
 * was sent, and care can search it like any other access.
 */
@Component
@AccessControlEnabled
@Interceptor
class DeliveryLogInterceptor implements StorageInterceptor {

    private static final Logger log = LoggerFactory.getLogger(DeliveryLogInterceptor.class);

    private final FhirContext fhirContext;
    private final DaoRegistry daoRegistry;
    private final PatientData patientData;

    DeliveryLogInterceptor(FhirContext fhirContext, DaoRegistry daoRegistry) {
        this.fhirContext = fhirContext;
        this.daoRegistry = daoRegistry;
        this.patientData = new PatientData(fhirContext);
    }

    @Hook(value = Pointcut.SUBSCRIPTION_AFTER_REST_HOOK_DELIVERY, order = HookOrder.EFFECTS + 10)
    void logDelivery(CanonicalSubscription subscription, ResourceDeliveryMessage delivery) {
        Optional<IBaseResource> sent = sent(delivery);
        Optional<String> patient = sent.flatMap(patientData::patientOf);
        if (sent.isEmpty() || patient.isEmpty()) {
            return; // not patient data
        }
        AuditEvent event = new AuditEvent();
        event.setType(new Coding(AccessLogInterceptor.DCM, "110106", "Export"));
        event.addSubtype(new Coding(AccessLogInterceptor.INTERACTION, "read", "read"));
        event.setAction(AuditEventAction.R);
        event.setRecorded(new Date());
        event.setOutcome(AuditEventOutcome._0);
        event.setOutcomeDesc("Notification sent for Subscription/" + subscription.getIdPart());
        String owner = subscription.getTags().getOrDefault(Vocabulary.SUBSCRIPTION_OWNER, "");
        int bar = owner.lastIndexOf('|');
        Identifier ownerId = bar < 0
                ? new Identifier().setValue(owner)
                : new Identifier().setSystem(owner.substring(0, bar)).setValue(owner.substring(bar + 1));
        event.addAgent()
                .setRequestor(true)
                .setType(new CodeableConcept(new Coding(AccessLogInterceptor.DCM, "110150", "Application")))
                .setWho(new Reference().setIdentifier(ownerId))
                .setAltId(ownerId.getValue())
                .getNetwork()
                .setAddress(host(subscription.getEndpointUrl()))
                .setType(AuditEventAgentNetworkType._1);
        event.getSource()
                .setObserver(new Reference().setDisplay("Patientkontrakt FHIR service"))
                .addType(new Coding(
                        "http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server"));
        event.addEntity()
                .setWhat(new Reference(patient.get()))
                .setType(new Coding(AccessLogInterceptor.ENTITY_TYPE, "1", "Person"))
                .setRole(new Coding(AccessLogInterceptor.OBJECT_ROLE, "1", "Patient"));
        IIdType id = sent.get().getIdElement();
        event.addEntity()
                .setWhat(new Reference(id.toUnqualified().getValue()))
                .setType(new Coding(AccessLogInterceptor.ENTITY_TYPE, "2", "System Object"))
                .setRole(new Coding(AccessLogInterceptor.OBJECT_ROLE, "4", "Domain Resource"));
        event.addEntity()
                .setWhat(new Reference().setDisplay("Subscription/" + subscription.getIdPart()))
                .setType(new Coding(AccessLogInterceptor.ENTITY_TYPE, "2", "System Object"))
                .setRole(new Coding(AccessLogInterceptor.OBJECT_ROLE, "13", "Security Resource"));
        daoRegistry.getResourceDao(AuditEvent.class).create(event, new SystemRequestDetails());
    }

    /** What was sent: the payload, or (for a Subscription without one) the resource it named. */
    private Optional<IBaseResource> sent(ResourceDeliveryMessage delivery) {
        IBaseResource payload = delivery.getPayload(fhirContext);
        if (payload != null) {
            return Optional.of(payload);
        }
        IIdType id = delivery.getPayloadId(fhirContext);
        if (id == null || !id.hasResourceType()) {
            return Optional.empty();
        }
        try {
            return Optional.of(daoRegistry.getResourceDao(id.getResourceType()).read(id, new SystemRequestDetails()));
        } catch (BaseServerResponseException e) {
            log.info("A notification named {}, which can no longer be read: {}", id.getValue(), e.getMessage());
            return Optional.empty();
        }
    }

    private static String host(String endpoint) {
        try {
            return URI.create(endpoint).getHost();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
