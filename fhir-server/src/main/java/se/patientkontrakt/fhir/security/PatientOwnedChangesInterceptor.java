package se.patientkontrakt.fhir.security;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.Reference;
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
 *
 * <p>What the patient adds may point only at the patient themselves, at the care team and goals
 * their own contract already names, and at care's directory (practitioners, their roles, units):
 * otherwise a patient could pull another patient's data into their contract, for themselves and
 * for everyone who reads it.
 */
@Component
@AccessControlEnabled
@Interceptor
class PatientOwnedChangesInterceptor implements RestInterceptor {

    /** Types a patient's own part of a contract may point at besides themselves and their contract's parts. */
    private static final Set<String> DIRECTORY = Set.of("Practitioner", "PractitionerRole", "Organization");

    private final FhirContext fhirContext;
    private final DaoRegistry daoRegistry;

    PatientOwnedChangesInterceptor(FhirContext fhirContext, DaoRegistry daoRegistry) {
        this.fhirContext = fhirContext;
        this.daoRegistry = daoRegistry;
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED, order = HookOrder.ACCESS + 30)
    void onlyWhatThePatientOwns(IBaseResource previous, IBaseResource updated, RequestDetails request) {
        AccessToken token =
                AccessToken.of(request).filter(AccessToken::patientToken).orElse(null);
        if (token == null || token.patient().isEmpty()) {
            return;
        }
        // What the patient may not see was answered 404 already (PatientBoundary).
        PatientView view = PatientView.of(request, token.patient().get().getIdPart(), fhirContext, daoRegistry);
        if (!(previous instanceof CarePlan before) || !(updated instanceof CarePlan after)) {
            throw new ForbiddenOperationException("A patient token may change only their own contract (CarePlan)");
        }
        if (!PatientsPart.careOwnedPart(fhirContext, before).equals(PatientsPart.careOwnedPart(fhirContext, after))) {
            throw new ForbiddenOperationException(
                    "A patient may change only their agreement (" + Vocabulary.PATIENT_AGREEMENT
                            + ") and their own actions (activity code patient-responsibility); the rest of the"
                            + " contract is care's and must stay as it is");
        }
        Set<String> allowed = new HashSet<>();
        allowed.add(view.patientReference());
        after.getCareTeam().forEach(team -> allowed.add(PatientView.key(team.getReferenceElement())));
        after.getGoal().forEach(goal -> allowed.add(PatientView.key(goal.getReferenceElement())));
        for (Reference reference : patientsPartReferences(after)) {
            IIdType target = reference.getReferenceElement();
            boolean contained =
                    reference.getReference() != null && reference.getReference().startsWith("#");
            if (contained || !reference.hasReference()) {
                continue;
            }
            if (target.isAbsolute()
                    || !(allowed.contains(PatientView.key(target)) || DIRECTORY.contains(target.getResourceType()))) {
                throw new ForbiddenOperationException("In their own part of a contract a patient may refer only to"
                        + " themselves, the care team and goals the contract names, and care's directory"
                        + " (Practitioner, PractitionerRole, Organization); not to " + reference.getReference());
            }
        }
    }

    /** The references in what the patient owns: their agreement and their own actions. */
    private List<Reference> patientsPartReferences(CarePlan plan) {
        CarePlan patientsPart = new CarePlan();
        plan.getExtension().stream()
                .filter(e -> Vocabulary.PATIENT_AGREEMENT.equals(e.getUrl()))
                .forEach(e -> patientsPart.addExtension(e.copy()));
        plan.getActivity().stream()
                .filter(PatientsPart::isPatientOwned)
                .forEach(a -> patientsPart.addActivity(a.copy()));
        return fhirContext.newTerser().getAllPopulatedChildElementsOfType(patientsPart, Reference.class);
    }
}
