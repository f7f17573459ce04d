package se.patientkontrakt.fhir.document;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.SortOrderEnum;
import ca.uhn.fhir.rest.api.SortSpec;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import java.util.List;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAgentComponent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.SearchEntryMode;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.IntegerType;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.SwedishIdentifiers;
import se.patientkontrakt.fhir.server.RestProvider;

/**
 * {@code Patient/{id}/$accesslog}: who has read the patient's data, newest first, shaped as Inera's
 * EHDS-TK access log for the RIV-TA service GetAccessLogForPatient (SEEHDSAuditEventReadAccessLog,
 * published in EHDS-TK 0.3.3 as {@code inera-ehds-audit-event}), so that a 1177-type "vem har läst
 * min journal" view can consume it. A read of the log: the entries are those {@code
 * GET AuditEvent?patient=} gives the same caller (a patient sees care as the directory names it,
 * never a token subject or address), reshaped: the user as a PractitionerRole and an application as
 * a Device (by what the entry says of them), the patient as the one entity, this installation as
 * the observer. What patients did themselves is left out: the national log is care's access.
 */
@Component
class AccessLogOperation implements RestProvider {

    static final String AUDIT_EVENT_PROFILE =
            "https://fhir.inera.se/ig/ehds-tk/StructureDefinition/SEEHDSAuditEventReadAccessLog";
    static final String AUDIT_EVENT_PROFILE_0_3_3 =
            "https://fhir.inera.se/ig/ehds-tk/StructureDefinition/inera-ehds-audit-event";
    static final int DEFAULT_COUNT = 100;
    static final int MAX_COUNT = 500;

    private static final String DCM = "http://dicom.nema.org/resources/ontology/DCM";
    private static final String APPLICATION = "110150";

    private final DaoRegistry daoRegistry;
    private final NationalProperties national;

    AccessLogOperation(DaoRegistry daoRegistry, NationalProperties national) {
        this.daoRegistry = daoRegistry;
        this.national = national;
    }

    @Operation(name = "$accesslog", typeName = "Patient", idempotent = true)
    public Bundle accessLog(
            @IdParam IdType id,
            @OperationParam(name = "_count", min = 0, max = 1) IntegerType count,
            RequestDetails request) {
        int wanted = count == null || count.getValue() == null ? DEFAULT_COUNT : count.getValue();
        if (wanted < 1 || wanted > MAX_COUNT) {
            throw new InvalidRequestException(
                    "_count must be between 1 and " + MAX_COUNT + " (the newest entries first); it is " + wanted);
        }
        // A read of the patient first: one the caller may not read answers as its read does.
        Patient patient = DocumentOperation.readAsAGetWould(daoRegistry, Patient.class, id, request);
        String patientId = "Patient/" + patient.getIdElement().getIdPart();
        SearchParameterMap map = SearchParameterMap.newSynchronous()
                .add("patient", new ReferenceParam(patientId))
                .setSort(new SortSpec("date", SortOrderEnum.DESC));
        map.setCount(wanted);
        IBundleProvider found = daoRegistry.getResourceDao(AuditEvent.class).search(map, request);
        List<AuditEvent> events = found.getResources(0, wanted).stream()
                .filter(AuditEvent.class::isInstance)
                .map(AuditEvent.class::cast)
                .filter(event -> !byAPatient(event))
                .toList();

        Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET);
        String base = request.getFhirServerBase();
        for (AuditEvent event : events) {
            bundle.addEntry()
                    .setFullUrl(base + "/AuditEvent/" + event.getIdElement().getIdPart())
                    .setResource(national(event, patient, base))
                    .getSearch()
                    .setMode(SearchEntryMode.MATCH);
        }
        return bundle;
    }

    private AuditEvent national(AuditEvent stored, Patient patient, String base) {
        AuditEvent event = new AuditEvent();
        event.setId(stored.getIdElement().getIdPart());
        event.getMeta()
                .setVersionId(stored.getMeta().getVersionId())
                .setLastUpdated(stored.getMeta().getLastUpdated())
                .addProfile(AUDIT_EVENT_PROFILE)
                .addProfile(AUDIT_EVENT_PROFILE_0_3_3);
        event.setType(stored.getType().copy());
        stored.getSubtype().forEach(subtype -> event.addSubtype(subtype.copy()));
        event.setAction(stored.getAction());
        event.setRecordedElement(stored.getRecordedElement().copy());
        event.setOutcome(stored.getOutcome());
        stored.getPurposeOfEvent().forEach(purpose -> event.addPurposeOfEvent(purpose.copy()));
        for (AuditEventAgentComponent agent : stored.getAgent()) {
            AuditEventAgentComponent shown = event.addAgent()
                    .setRequestor(agent.getRequestor())
                    .setType(agent.getType().copy());
            shown.setWho(who(agent));
            stored.getPurposeOfEvent().forEach(purpose -> shown.addPurposeOfUse(purpose.copy()));
        }
        event.getSource()
                .setObserver(new Reference()
                        .setType("Device")
                        .setDisplay("Patientkontrakt FHIR service")
                        .setIdentifier(
                                national.sourceSystemHsaId().isBlank()
                                        ? new org.hl7.fhir.r4.model.Identifier()
                                                .setSystem("urn:ietf:rfc:3986")
                                                .setValue(base)
                                        : new org.hl7.fhir.r4.model.Identifier()
                                                .setSystem(SwedishIdentifiers.HSA_ID)
                                                .setValue(national.sourceSystemHsaId())))
                .addType(new Coding(
                        "http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server"));
        Reference what = new Reference("Patient/" + patient.getIdElement().getIdPart());
        patient.getIdentifier().stream()
                .filter(identifier -> SwedishIdentifiers.isPersonalNumberSystem(identifier.getSystem()))
                .findFirst()
                .ifPresent(identifier -> what.setIdentifier(identifier.copy()));
        event.addEntity()
                .setWhat(what)
                .setType(new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person"))
                .setRole(new Coding("http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient"));
        return event;
    }

    /**
     * The log GetAccessLogForPatient gives is care's access; what a patient did (the patient's own
     * reads, their agreement) is not in it. The log names a patient actor by {@code Patient/{id}} in
     * display only, or, to another patient, in words.
     */
    private static boolean byAPatient(AuditEvent event) {
        return event.getAgent().stream()
                .filter(AuditEventAgentComponent::getRequestor)
                .map(agent -> agent.getWho().getDisplay())
                .anyMatch(display ->
                        display != null && (display.startsWith("Patient/") || display.startsWith("En annan patient")));
    }

    /**
     * The actor as GetAccessLogForPatient knows it: an application as a Device, a person as a
     * PractitionerRole, by what the entry says of them (a reference to a PractitionerRole is kept;
     * otherwise the name and identifier the entry shows).
     */
    private static Reference who(AuditEventAgentComponent agent) {
        boolean application = agent.getType().getCoding().stream()
                .anyMatch(c -> DCM.equals(c.getSystem()) && APPLICATION.equals(c.getCode()));
        Reference who = agent.getWho();
        if (who.getReferenceElement().hasIdPart()
                && "PractitionerRole".equals(who.getReferenceElement().getResourceType())) {
            return new Reference(who.getReference()).setDisplay(who.getDisplay());
        }
        Reference shown = new Reference().setType(application ? "Device" : "PractitionerRole");
        if (who.hasIdentifier()) {
            shown.setIdentifier(who.getIdentifier().copy());
        }
        String display = who.hasDisplay() ? who.getDisplay() : agent.getName();
        return shown.setDisplay(display);
    }
}
