package se.patientkontrakt.fhir.security;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CarePlan;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.PatientsPart;
import se.patientkontrakt.fhir.contract.Vocabulary;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.RestInterceptor;

/**
 * What a patient may change in their contract: only what the patient owns — the agreement
 * ({@code pk-patient-agreement}: that, when and how they agreed) and the patient-owned actions
 * (<em>Patienten ansvarar för</em>, activities with code {@code patient-responsibility}) — and
 * only in a contract approved for them. Everything care wrote (goals, care's actions, next steps,
 * the team, the narrative) must come back unchanged; otherwise {@code 403}. Works on the stored
 * and the new version, so PUT, JSON Patch and FHIRPath Patch are judged alike.
 */
@Component
@AccessControlEnabled
@Interceptor
class PatientOwnedChangesInterceptor implements RestInterceptor {

    private final FhirContext fhirContext;

    PatientOwnedChangesInterceptor(FhirContext fhirContext) {
        this.fhirContext = fhirContext;
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED, order = HookOrder.ACCESS + 30)
    void onlyWhatThePatientOwns(IBaseResource previous, IBaseResource updated) {
        if (AccessToken.current().filter(AccessToken::patientToken).isEmpty()) {
            return;
        }
        if (!(previous instanceof CarePlan before) || !(updated instanceof CarePlan after)) {
            throw new ForbiddenOperationException("A patient token may change only their own contract (CarePlan)");
        }
        if (!PatientsPart.isApprovedForPatient(before)) {
            throw new ForbiddenOperationException("This contract is not approved for the patient yet");
        }
        if (!PatientsPart.careOwnedPart(fhirContext, before).equals(PatientsPart.careOwnedPart(fhirContext, after))) {
            throw new ForbiddenOperationException(
                    "A patient may change only their agreement (" + Vocabulary.PATIENT_AGREEMENT
                            + ") and their own actions (activity code patient-responsibility); the rest of the"
                            + " contract is care's and must stay as it is");
        }
    }
}
