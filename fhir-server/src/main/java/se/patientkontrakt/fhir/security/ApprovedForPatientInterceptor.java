package se.patientkontrakt.fhir.security;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.IPreResourceShowDetails;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CarePlan;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.PatientsPart;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.RestInterceptor;

/**
 * A patient sees a CarePlan only once care has approved it for the patient (extension
 * {@code pk-approved-for-patient} = {@code true}, as in Inera's care-plan mapping for 1177): any
 * other plan is left out of searches, includes, history and the portal view, and a read of it
 * answers {@code 404}, as if it did not exist. Runs on {@code STORAGE_PRESHOW_RESOURCES}, before
 * HAPI's authorization checks, for every resource a patient token is about to be shown.
 */
@Component
@AccessControlEnabled
@Interceptor
class ApprovedForPatientInterceptor implements RestInterceptor {

    @Hook(value = Pointcut.STORAGE_PRESHOW_RESOURCES, order = HookOrder.ACCESS + 10)
    void hideUnapprovedPlans(IPreResourceShowDetails details, RequestDetails request) {
        if (AccessToken.current().filter(AccessToken::patientToken).isEmpty()) {
            return;
        }
        for (int i = 0; i < details.size(); i++) {
            IBaseResource resource = details.getResource(i);
            if (resource instanceof CarePlan plan && !PatientsPart.isApprovedForPatient(plan)) {
                RestOperationTypeEnum operation = request.getRestOperationType();
                if (operation == RestOperationTypeEnum.READ || operation == RestOperationTypeEnum.VREAD) {
                    throw new ResourceNotFoundException(plan.getIdElement().toUnqualifiedVersionless());
                }
                details.setResource(i, null);
            }
        }
    }
}
