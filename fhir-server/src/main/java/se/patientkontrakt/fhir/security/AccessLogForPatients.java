package se.patientkontrakt.fhir.security;

import java.util.regex.Matcher;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAgentComponent;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Reference;

/**
 * An access-log entry as a patient sees it ("Vem har läst mitt kontrakt"): who in care read their
 * data, as care is known publicly (the practitioner or role, and the unit, from the directory),
 * when, what and with what outcome; never another patient, nor anyone's token subject, client
 * application or network address. The patient's own actions are shown as theirs. An entry names
 * only what the patient may know of: a contract not approved for them, or what only such a contract
 * names, is left out of the entry, and the outcome is given as its status alone (its words may name
 * what was withheld). The stored entry is not changed; care reading the log sees it whole.
 */
final class AccessLogForPatients {

    static final String DCM = "http://dicom.nema.org/resources/ontology/DCM";
    static final String APPLICATION = "110150";

    private AccessLogForPatients() {}

    /**
     * The entry as the patient sees it. Changed in place: it is this request's copy, read for it, and
     * the search result's own object keeps what HAPI knows of it (its search mode).
     */
    static AuditEvent redact(AuditEvent event, PatientView view) {
        event.getEntity()
                .removeIf(entity -> entity.getWhat().hasReference()
                        && !view.mayKnowOf(new IdType(entity.getWhat().getReference())));
        if (event.hasOutcomeDesc()) {
            event.setOutcomeDesc(event.getOutcomeDesc().split(" ", 2)[0]);
        }
        boolean byAnotherPatient =
                event.getAgent().stream().anyMatch(agent -> isPatient(agent) && !isThePatient(agent, view));
        event.getAgent().removeIf(agent -> isApplication(agent) && byAnotherPatient);
        for (AuditEventAgentComponent agent : event.getAgent()) {
            if (isThePatient(agent, view)) {
                continue;
            }
            if (isPatient(agent)) {
                agent.setWho(new Reference().setDisplay("En annan patient (another patient)"));
                agent.setName(null);
            } else if (agent.hasWho()) {
                // Care: as the directory names them, without the token's subject.
                Reference who = agent.getWho();
                agent.setWho(
                        who.hasReference()
                                ? new Reference(who.getReference()).setDisplay(who.getDisplay())
                                : new Reference().setDisplay(isApplication(agent) ? null : "Vården (care)"));
            }
            agent.setAltId(null);
            agent.setNetwork(null);
            agent.getPolicy().clear();
        }
        return event;
    }

    /** A patient acted: the log names a patient actor by their fhirUser, never by reference. */
    private static boolean isPatient(AuditEventAgentComponent agent) {
        return agent.hasWho()
                && agent.getWho().hasDisplay()
                && TokenClaims.PATIENT_REFERENCE
                        .matcher(agent.getWho().getDisplay())
                        .find();
    }

    private static boolean isThePatient(AuditEventAgentComponent agent, PatientView view) {
        if (!agent.hasWho() || !agent.getWho().hasDisplay()) {
            return false;
        }
        Matcher patient = TokenClaims.PATIENT_REFERENCE.matcher(agent.getWho().getDisplay());
        return patient.find() && patient.group(1).equals(view.patientId());
    }

    private static boolean isApplication(AuditEventAgentComponent agent) {
        CodeableConcept type = agent.getType();
        return type.getCoding().stream().anyMatch(c -> matches(c, DCM, APPLICATION));
    }

    private static boolean matches(Coding coding, String system, String code) {
        return system.equals(coding.getSystem()) && code.equals(coding.getCode());
    }
}
