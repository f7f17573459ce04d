package se.patientkontrakt.fhir.contract;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CarePlan.CarePlanActivityComponent;
import org.hl7.fhir.r4.model.CarePlan.CarePlanActivityDetailComponent;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Reference;

/**
 * The patient's agreement, bound to what they agreed to. The agreement ({@code pk-patient-agreement})
 * names the version of the contract the patient agreed to ({@code version}), and the contract says
 * whether its promises still are the ones agreed ({@code pk-agreement-pending}). Both are kept by
 * the server; what a client sends in them is replaced.
 *
 * <p>The promises are what the patient or care has undertaken: the open activities that say who
 * does what (<em>Patienten ansvarar för</em>, <em>Vården ansvarar för</em>), what to do if things
 * get worse (<em>Vid försämring</em>) and the next step (what, who, by when), and the care teams
 * the contract names, whose members and ways to reach them are the patient's contacts. A change to
 * any of these leaves the contract waiting for the patient's agreement again. Other changes do not:
 * a note or progress note, a status that moves within the open states, a promise kept (status
 * {@code completed}) or a kept one removed, the goals, the follow-up, the title, the narrative.
 */
public final class Agreement {

    /** The activity kinds whose content is a promise. */
    static final Set<String> PROMISE_KINDS =
            Set.of(Vocabulary.PATIENT_RESPONSIBILITY, "care-responsibility", "escalation", "next-step");

    /** Statuses in which an activity no longer promises anything. */
    private static final Set<String> CLOSED = Set.of("completed", "cancelled", "stopped", "entered-in-error");

    private Agreement() {}

    /** Whether a CarePlan is a patient contract (category {@code patientkontrakt}), not a SIP or another plan. */
    public static boolean isContract(CarePlan plan) {
        return plan.getCategory().stream()
                .flatMap(category -> category.getCoding().stream())
                .anyMatch(coding -> Vocabulary.CAREPLAN_CATEGORY.equals(coding.getSystem())
                        && Vocabulary.CATEGORY_PATIENTKONTRAKT.equals(coding.getCode()));
    }

    /** The agreement the contract carries, if the patient has agreed to it. */
    public static Optional<Extension> of(CarePlan plan) {
        return Optional.ofNullable(plan.getExtensionByUrl(Vocabulary.PATIENT_AGREEMENT));
    }

    /** The version of the contract the patient agreed to, as the server recorded it. */
    public static Optional<String> agreedVersion(CarePlan plan) {
        return of(plan).map(agreement -> agreement.getExtensionByUrl("version"))
                .filter(version ->
                        version.getValue() != null && version.getValue().hasPrimitiveValue())
                .map(version -> version.getValue().primitiveValue());
    }

    /** Whether the contract waits for the patient's agreement: never agreed, or promises changed since. */
    public static boolean isPending(CarePlan plan) {
        Extension pending = plan.getExtensionByUrl(Vocabulary.AGREEMENT_PENDING);
        if (pending != null && pending.getValue() instanceof BooleanType value && value.getValue() != null) {
            return value.getValue();
        }
        return of(plan).isEmpty();
    }

    /** Sets the flag where the contract has it (a client's copy stays as sent when the value is the same), else adds it. */
    static void setPending(CarePlan plan, boolean pending) {
        setOnce(plan.getExtension(), Vocabulary.AGREEMENT_PENDING, new BooleanType(pending));
    }

    static void setAgreedVersion(Extension agreement, String version) {
        setOnce(agreement.getExtension(), "version", new IdType(version));
    }

    private static void setOnce(List<Extension> extensions, String url, org.hl7.fhir.r4.model.Type value) {
        Extension first = extensions.stream()
                .filter(e -> url.equals(e.getUrl()))
                .findFirst()
                .orElse(null);
        if (first == null) {
            extensions.add(new Extension(url, value));
            return;
        }
        extensions.removeIf(e -> url.equals(e.getUrl()) && e != first);
        first.setValue(value);
    }

    /**
     * The agreement a write records anew: the one {@code after} carries when {@code before} (absent
     * on create) held none or a different one.
     */
    public static Optional<Extension> newlyAgreed(FhirContext fhirContext, CarePlan before, CarePlan after) {
        if (!isContract(after)) {
            return Optional.empty();
        }
        return of(after)
                .filter(agreement ->
                        before == null || of(before).isEmpty() || !sameAgreement(fhirContext, before, after));
    }

    /** Whether two versions hold the same agreement (that, when, how, by whom), whatever version each names. */
    static boolean sameAgreement(FhirContext fhirContext, CarePlan before, CarePlan after) {
        return agreementWithoutVersion(fhirContext, before).equals(agreementWithoutVersion(fhirContext, after));
    }

    private static String agreementWithoutVersion(FhirContext fhirContext, CarePlan plan) {
        return of(plan).map(agreement -> {
                    Extension copy = agreement.copy();
                    copy.getExtension().removeIf(e -> "version".equals(e.getUrl()));
                    CarePlan holder = new CarePlan();
                    holder.addExtension(copy);
                    return fhirContext.newJsonParser().encodeResourceToString(holder);
                })
                .orElse("");
    }

    /**
     * Whether going from {@code before} to {@code after} changes a promise: an open promise added,
     * changed, withdrawn or closed other than by being kept, or a different care team named. A
     * promise kept ({@code completed}) and a closed one removed change nothing.
     */
    static boolean promisesChanged(FhirContext fhirContext, CarePlan before, CarePlan after) {
        if (!careTeams(before).equals(careTeams(after))) {
            return true;
        }
        IParser json = fhirContext.newJsonParser();
        List<String> openBefore = promises(json, before, false);
        List<String> keptAfter = promises(json, after, true);
        keptAfter.forEach(openBefore::remove);
        return !openBefore.equals(promises(json, after, false));
    }

    /** The contacts a care team gives the patient: its members, their roles and periods, and how to reach them. */
    static boolean contactsChanged(FhirContext fhirContext, CareTeam before, CareTeam after) {
        return !contacts(fhirContext, before).equals(contacts(fhirContext, after));
    }

    private static String contacts(FhirContext fhirContext, CareTeam team) {
        CareTeam contacts = new CareTeam();
        IParser json = fhirContext.newJsonParser();
        team.getParticipant().stream()
                .map(CareTeam.CareTeamParticipantComponent::copy)
                .peek(participant -> participant.setId(null))
                .sorted(Comparator.comparing(json::encodeToString))
                .forEach(contacts::addParticipant);
        team.getTelecom().forEach(telecom -> contacts.addTelecom(telecom.copy()));
        team.getExtension().forEach(extension -> contacts.addExtension(extension.copy()));
        contacts.setStatus(team.getStatus());
        return fhirContext.newJsonParser().encodeResourceToString(contacts);
    }

    private static List<String> careTeams(CarePlan plan) {
        return plan.getCareTeam().stream()
                .map(Reference::getReferenceElement)
                .map(id -> id.toUnqualifiedVersionless().getValue())
                .sorted()
                .toList();
    }

    /** The promises of one state, open or kept, each as its content without status or progress, sorted. */
    private static List<String> promises(IParser json, CarePlan plan, boolean kept) {
        List<String> promises = new ArrayList<>();
        for (CarePlanActivityComponent activity : plan.getActivity()) {
            CarePlanActivityDetailComponent detail = activity.getDetail();
            boolean promise = detail.getCode().getCoding().stream()
                    .anyMatch(
                            c -> Vocabulary.ACTIVITY_KIND.equals(c.getSystem()) && PROMISE_KINDS.contains(c.getCode()));
            String status = detail.hasStatus() ? detail.getStatus().toCode() : "";
            boolean inState = kept ? "completed".equals(status) : !CLOSED.contains(status);
            if (promise && inState) {
                promises.add(promiseContent(json, activity));
            }
        }
        promises.sort(null);
        return promises;
    }

    private static String promiseContent(IParser json, CarePlanActivityComponent activity) {
        CarePlanActivityComponent copy = activity.copy();
        copy.setId(null);
        copy.getProgress().clear();
        copy.getOutcomeCodeableConcept().clear();
        copy.getOutcomeReference().clear();
        copy.getDetail().setStatus(null).setStatusReason(null);
        CarePlan holder = new CarePlan();
        holder.addActivity(copy);
        return json.encodeResourceToString(holder);
    }
}
