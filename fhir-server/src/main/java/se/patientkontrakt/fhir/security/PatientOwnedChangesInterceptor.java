package se.patientkontrakt.fhir.security;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CarePlan.CarePlanActivityComponent;
import org.springframework.stereotype.Component;
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

    static final String AGREEMENT = "https://patientkontrakt.se/fhir/StructureDefinition/pk-patient-agreement";
    static final String ACTIVITY_KIND = "https://patientkontrakt.se/fhir/CodeSystem/pk-activity-kind";

    private final FhirContext fhirContext;

    PatientOwnedChangesInterceptor(FhirContext fhirContext) {
        this.fhirContext = fhirContext;
    }

    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
    void onlyWhatThePatientOwns(IBaseResource previous, IBaseResource updated) {
        if (AccessToken.current().filter(AccessToken::patientToken).isEmpty()) {
            return;
        }
        if (!(previous instanceof CarePlan before) || !(updated instanceof CarePlan after)) {
            throw new ForbiddenOperationException("A patient token may change only their own contract (CarePlan)");
        }
        if (!ApprovedForPatientInterceptor.isApprovedForPatient(before)) {
            throw new ForbiddenOperationException("This contract is not approved for the patient yet");
        }
        if (!careOwnedPart(before).equals(careOwnedPart(after))) {
            throw new ForbiddenOperationException("A patient may change only their agreement (" + AGREEMENT
                    + ") and their own actions (activity code patient-responsibility); the rest of the"
                    + " contract is care's and must stay as it is");
        }
    }

    /** The contract without what the patient owns and without server-managed metadata, as JSON. */
    private String careOwnedPart(CarePlan plan) {
        CarePlan copy = plan.copy();
        copy.setIdElement(copy.getIdElement().toUnqualifiedVersionless());
        copy.getMeta().setVersionId(null).setLastUpdatedElement(null).setSource(null);
        copy.getExtension().removeIf(e -> AGREEMENT.equals(e.getUrl()));
        copy.getActivity().removeIf(PatientOwnedChangesInterceptor::isPatientOwned);
        return fhirContext.newJsonParser().encodeResourceToString(copy);
    }

    private static boolean isPatientOwned(CarePlanActivityComponent activity) {
        return activity.hasDetail()
                && activity.getDetail().getCode().hasCoding(ACTIVITY_KIND, "patient-responsibility");
    }
}
