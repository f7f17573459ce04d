package se.patientkontrakt.fhir.security;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.ReferenceParam;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.Composition;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.Goal;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import se.patientkontrakt.fhir.contract.PatientsPart;

/**
 * What one patient may see, worked out once per request: the patient themselves; the contracts
 * (CarePlans about them) that care has approved for them, in every version, as long as the
 * contract is approved now; the care teams and goals those contracts name, when they are the
 * patient's; their consents and blocks (samtycke, spärr: Consents whose {@code patient} they are),
 * which are decisions about them; the access-log entries about them; and the directory (who works
 * where) and the published definitions, which are no one's data. Nothing else, whatever the
 * token's scopes.
 *
 * <p>A contract that is not approved (a draft, or one whose approval was withdrawn) leaves no
 * trace: neither it nor a care team or goal that only it names is seen. The same rule gives the
 * search narrowing ({@link #narrowing}), so that what a search counts is what it shows.
 */
final class PatientView implements BoundaryView {

    /** Types anyone with a token may read: who works where, and the definitions. */
    static final Set<String> PUBLIC_TYPES = Stream.concat(
                    SmartAuthorizationInterceptor.DIRECTORY_TYPES.stream(),
                    SmartAuthorizationInterceptor.DEFINITION_TYPES.stream())
            .collect(Collectors.toUnmodifiableSet());

    /** A value no resource has: a search narrowed to nothing matches nothing. */
    private static final String NO_ID = "none-" + UUID.randomUUID();

    private static final String KEY = PatientView.class.getName();

    private final FhirContext fhirContext;
    private final String patientId;
    private final Set<String> approvedPlans;
    private final Set<String> partsOfApprovedPlans;
    private final DaoRegistry daoRegistry;

    /** The patient's Consents, looked up only when a reference alone must be judged. */
    private Set<String> consents;

    private PatientView(
            FhirContext fhirContext,
            DaoRegistry daoRegistry,
            String patientId,
            Set<String> approvedPlans,
            Set<String> partsOfApprovedPlans) {
        this.fhirContext = fhirContext;
        this.daoRegistry = daoRegistry;
        this.patientId = patientId;
        this.approvedPlans = approvedPlans;
        this.partsOfApprovedPlans = partsOfApprovedPlans;
    }

    /** The view of the request's patient, worked out on first use and kept with the request. */
    static PatientView of(RequestDetails request, String patientId, FhirContext fhirContext, DaoRegistry daoRegistry) {
        Object known = request.getUserData().get(KEY);
        if (known instanceof PatientView view && view.patientId.equals(patientId)) {
            return view;
        }
        PatientView view = load(patientId, fhirContext, daoRegistry);
        request.getUserData().put(KEY, view);
        return view;
    }

    private static PatientView load(String patientId, FhirContext fhirContext, DaoRegistry daoRegistry) {
        SearchParameterMap plans = SearchParameterMap.newSynchronous()
                .add(CarePlan.SP_SUBJECT, new ReferenceParam("Patient/" + patientId));
        IBundleProvider found = daoRegistry.getResourceDao(CarePlan.class).search(plans, new SystemRequestDetails());
        Set<String> approved = new LinkedHashSet<>();
        Set<String> parts = new LinkedHashSet<>();
        for (IBaseResource resource : found.getAllResources()) {
            if (resource instanceof CarePlan plan && PatientsPart.isApprovedForPatient(plan)) {
                approved.add(key(plan.getIdElement()));
                plan.getCareTeam().forEach(team -> partOf(team, "CareTeam").ifPresent(parts::add));
                plan.getGoal().forEach(goal -> partOf(goal, "Goal").ifPresent(parts::add));
            }
        }
        return new PatientView(fhirContext, daoRegistry, patientId, Set.copyOf(approved), Set.copyOf(parts));
    }

    String patientId() {
        return patientId;
    }

    String patientReference() {
        return "Patient/" + patientId;
    }

    /** Whether the patient may see this resource (this version of it). */
    @Override
    public boolean mayRead(IBaseResource resource) {
        String type = fhirContext.getResourceType(resource);
        String key = key(resource.getIdElement());
        return switch (type) {
            case "Patient" -> key.equals(patientReference());
            case "CarePlan" -> approvedPlans.contains(key) && isAbout(((CarePlan) resource).getSubject());
            case "CareTeam" -> partsOfApprovedPlans.contains(key) && isAbout(((CareTeam) resource).getSubject());
            case "Goal" -> partsOfApprovedPlans.contains(key) && isAbout(((Goal) resource).getSubject());
            case "Consent" -> isAbout(((Consent) resource).getPatient());
            case "AuditEvent" -> onlyAbout((AuditEvent) resource);
            // Never stored: the head of a contract's document ($document), whose every entry is
            // checked on its own; it is the patient's when it is about them.
            case "Composition" -> isAbout(((Composition) resource).getSubject());
            default -> PUBLIC_TYPES.contains(type);
        };
    }

    /**
     * Whether the patient may know of the resource with this id, for a reference that leaves the
     * server without the resource (a {@code Location}, a Bundle entry's response). AuditEvents and
     * types the patient never sees answer no.
     */
    @Override
    public boolean mayKnowOf(IIdType id) {
        String type = id.getResourceType();
        String key = key(id);
        if (type == null) {
            return false;
        }
        return switch (type) {
            case "Patient" -> key.equals(patientReference());
            case "CarePlan" -> approvedPlans.contains(key);
            case "CareTeam", "Goal" -> partsOfApprovedPlans.contains(key);
            case "Consent" -> consents().contains(key);
            default -> PUBLIC_TYPES.contains(type);
        };
    }

    /** The keys of the Consents about the patient, as stored now (searched once per request). */
    private Set<String> consents() {
        if (consents == null) {
            SearchParameterMap about =
                    SearchParameterMap.newSynchronous().add(Consent.SP_PATIENT, new ReferenceParam(patientReference()));
            consents =
                    daoRegistry
                            .getResourceDao(Consent.class)
                            .search(about, new SystemRequestDetails())
                            .getAllResources()
                            .stream()
                            .map(resource -> key(resource.getIdElement()))
                            .collect(Collectors.toUnmodifiableSet());
        }
        return consents;
    }

    /**
     * The search parameters that hold a search of the type to what the patient may see, ANDed with
     * the client's own: exactly the same rule as {@link #mayRead}, so that a search's total and
     * {@code _summary=count} count only what the patient may see. Empty for the public types;
     * absent for a type the patient may not search at all.
     */
    Optional<List<Parameter>> narrowing(String type) {
        return switch (type) {
            case "Patient" -> Optional.of(List.of(new Parameter("_id", patientId)));
            case "CarePlan" ->
                Optional.of(List.of(
                        new Parameter("_id", ids(approvedPlans)), new Parameter("subject", patientReference())));
            case "CareTeam", "Goal" ->
                Optional.of(List.of(
                        new Parameter("_id", ids(partsOfApprovedPlans, type)),
                        new Parameter("subject", patientReference())));
            case "Consent", "AuditEvent" -> Optional.of(List.of(new Parameter("patient", patientReference())));
            default -> PUBLIC_TYPES.contains(type) ? Optional.of(List.of()) : Optional.empty();
        };
    }

    @Override
    public Optional<List<Parameter>> narrowing(String type, Map<String, String[]> params) {
        return narrowing(type);
    }

    @Override
    public String who() {
        return "A patient token";
    }

    /** Search parameters a patient may not use: they reach across resources. */
    private static final Set<String> CROSSING = Set.of("_has", "_filter", "_list", "_query", "_content", "_text");

    @Override
    public Optional<String> refusesParameter(String name) {
        String base = name.split(":", 2)[0];
        if (CROSSING.contains(base) || base.startsWith("_has") || name.contains(".")) {
            return Optional.of("Search parameter '" + name + "' reaches across resources; a patient token may not"
                    + " use _has, chained parameters or "
                    + CROSSING.stream().sorted().toList());
        }
        return Optional.empty();
    }

    private boolean isAbout(Reference subject) {
        return subject != null && patientReference().equals(key(subject.getReferenceElement()));
    }

    /** An access-log entry shows a patient only entries about them and no one else. */
    private boolean onlyAbout(AuditEvent event) {
        List<String> patients =
                fhirContext.newTerser().getCompartmentOwnersForResource("Patient", event, Set.of()).stream()
                        .filter(owner -> "Patient".equals(owner.getResourceType()))
                        .map(PatientView::key)
                        .distinct()
                        .toList();
        return patients.equals(List.of(patientReference()));
    }

    private static String ids(Set<String> keys) {
        return ids(keys, null);
    }

    private static String ids(Set<String> keys, String type) {
        List<String> ids = keys.stream()
                .filter(key -> type == null || key.startsWith(type + "/"))
                .map(key -> key.substring(key.indexOf('/') + 1))
                .sorted()
                .toList();
        return ids.isEmpty() ? NO_ID : String.join(",", ids);
    }

    private static Optional<String> partOf(Reference reference, String type) {
        IIdType target = reference.getReferenceElement();
        if (!target.hasIdPart() || target.isAbsolute() || !type.equals(target.getResourceType())) {
            return Optional.empty();
        }
        return Optional.of(key(target));
    }

    static String key(IIdType id) {
        if (id == null || !id.hasIdPart()) {
            return "";
        }
        return id.getResourceType() + "/" + id.getIdPart();
    }

    static IdType notFoundId(IIdType id) {
        return new IdType(id.getResourceType(), id.getIdPart());
    }

    /** The Patient, for code that wants the type's name in one place. */
    static final String PATIENT = Patient.class.getSimpleName();
}
