package se.patientkontrakt.fhir.contract;

import ca.uhn.fhir.context.FhirContext;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CarePlan.CarePlanActivityComponent;
import org.hl7.fhir.r4.model.Extension;

/**
 * The patient's part of a contract, as the regions' templates divide it: the patient sees a
 * contract once care has approved it for them, and owns two things in it, their agreement (that,
 * when and how they agreed) and their own actions (<em>Patienten ansvarar för</em>). Everything
 * else is care's.
 */
public final class PatientsPart {

    private PatientsPart() {}

    /** Whether care has approved the contract for the patient ({@code pk-approved-for-patient} = true). */
    public static boolean isApprovedForPatient(CarePlan plan) {
        Extension approved = plan.getExtensionByUrl(Vocabulary.APPROVED_FOR_PATIENT);
        return approved != null
                && approved.getValue() instanceof BooleanType value
                && Boolean.TRUE.equals(value.getValue());
    }

    /** An activity the patient owns: code {@code patient-responsibility}. */
    public static boolean isPatientOwned(CarePlanActivityComponent activity) {
        return activity.hasDetail()
                && activity.getDetail()
                        .getCode()
                        .hasCoding(Vocabulary.ACTIVITY_KIND, Vocabulary.PATIENT_RESPONSIBILITY);
    }

    /**
     * The contract without what the patient owns and without what the server keeps (metadata, whether
     * agreement is pending), as JSON: two
     * versions with the same care-owned part differ only in what the patient may change.
     */
    public static String careOwnedPart(FhirContext fhirContext, CarePlan plan) {
        CarePlan copy = plan.copy();
        copy.setIdElement(copy.getIdElement().toUnqualifiedVersionless());
        copy.getMeta().setVersionId(null).setLastUpdatedElement(null).setSource(null);
        copy.getExtension()
                .removeIf(e -> Vocabulary.PATIENT_AGREEMENT.equals(e.getUrl())
                        || Vocabulary.AGREEMENT_PENDING.equals(e.getUrl()));
        copy.getActivity().removeIf(PatientsPart::isPatientOwned);
        return fhirContext.newJsonParser().encodeResourceToString(copy);
    }
}
