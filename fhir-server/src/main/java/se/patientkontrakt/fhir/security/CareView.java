package se.patientkontrakt.fhir.security;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.ReferenceOrListParam;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.util.ResourceReferenceInfo;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.Goal;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.PractitionerRole;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import se.patientkontrakt.fhir.contract.Owner;
import se.patientkontrakt.fhir.contract.SwedishIdentifiers;
import se.patientkontrakt.fhir.contract.Vocabulary;
import se.patientkontrakt.fhir.security.PdlRule.Access;

/**
 * What a care user, or one care giver's system, may see under Patientdatalagen, worked out once per
 * request and per patient ({@link PdlRule}): for each patient the request is about, every
 * contract, care team, goal and consent this server holds of them is weighed once, with who owns it
 * (the owner labels), which units take part in the patient's care now (they own a contract, team or
 * goal in force, manage a team in force, or a PractitionerRole of theirs takes part in one today), and
 * the samtycken and spärrar that hold today.
 *
 * <p>A search that names one patient ({@code subject} or {@code patient}, one id) is narrowed to
 * exactly what the rule lets the reader see of that patient, so its total counts only that. A
 * search of contracts, teams, goals or consents across patients (a work list) is narrowed to the
 * reader's own care giver's data and each match weighed as it is shown (care relationship, inre
 * spärr), without a total; asked for its own unit's data only ({@code _security}), it is exact and
 * counts. Other care givers' data is read one patient at a time, as NPÖ shows it. The access log
 * and related persons are searched one patient at a time, with a care relationship; records of
 * changes (Provenance) as the owning unit's.
 *
 * <p>The patient (the Patient resource: who they are) reads for all care, as a care user must find
 * the patient before any relationship can be weighed; the directory and the definitions are no
 * one's data.
 */
final class CareView implements BoundaryView {

    /** The patient data types whose every piece has an owner (owner labels). */
    private static final Set<String> OWNED = Owner.OWNED_TYPES;

    /**
     * Many patients' data at once (a region's target groups), for region-wide clients only: never
     * for a care token under the rule, whatever its scopes ({@link RegionWideTypesInterceptor}).
     */
    private static final Set<String> REGION_WIDE = SmartAuthorizationInterceptor.REGION_WIDE_TYPES;

    /** Patient data without an owner of its own, read one patient at a time. */
    private static final Set<String> ABOUT_A_PATIENT = Set.of("AuditEvent", "Provenance", "RelatedPerson");

    /** The states in which a contract, team or goal is in force, and so makes a care relationship. */
    private static final Set<CarePlan.CarePlanStatus> IN_FORCE_PLANS =
            Set.of(CarePlan.CarePlanStatus.DRAFT, CarePlan.CarePlanStatus.ACTIVE, CarePlan.CarePlanStatus.ONHOLD);

    private static final Set<CareTeam.CareTeamStatus> IN_FORCE_TEAMS =
            Set.of(CareTeam.CareTeamStatus.PROPOSED, CareTeam.CareTeamStatus.ACTIVE, CareTeam.CareTeamStatus.SUSPENDED);

    private static final Set<Goal.GoalLifecycleStatus> IN_FORCE_GOALS = Set.of(
            Goal.GoalLifecycleStatus.PROPOSED,
            Goal.GoalLifecycleStatus.PLANNED,
            Goal.GoalLifecycleStatus.ACCEPTED,
            Goal.GoalLifecycleStatus.ACTIVE,
            Goal.GoalLifecycleStatus.ONHOLD);

    /** How many patients one search weighs at most (an OR list of references). */
    private static final int WEIGHED_AT_ONCE = 100;

    /** Search parameters a care token under PDL may not use: they tell of data it may not read. */
    private static final Set<String> CROSSING = Set.of("_has", "_filter", "_list", "_query");

    /** The parameters that name the patient a search is about. */
    private static final Set<String> PATIENT_PARAMETERS = Set.of("subject", "patient");

    /**
     * Chains a care token may use: into the patient, whom all care reads, and from a contract into
     * its own care team, which its work lists ask about ({@code care-team.fast-vardkontakt}); the
     * contracts it starts from are narrowed as always.
     */
    private static final Set<String> CHAINABLE = Set.of("subject", "patient", "care-team");

    private static final ZoneId SWEDEN = ZoneId.of("Europe/Stockholm");
    private static final String NO_ID = "none-" + UUID.randomUUID();
    private static final String KEY = CareView.class.getName();
    private static final String SAMTYCKE = "samtycke";
    private static final String INRE_SPARR = "inre-sparr";
    private static final String YTTRE_SPARR = "yttre-sparr";

    private final FhirContext fhirContext;
    private final DaoRegistry daoRegistry;
    private final DirectoryHsaIds directory;
    private final WeighedPatients memory;
    private final PdlRule.Reader reader;
    private final Map<String, Patient> patients = new HashMap<>();
    private final Map<String, Optional<String>> hsaIds = new HashMap<>();
    private final Map<String, Boolean> targets = new HashMap<>();
    private boolean weighedOneByOne;

    private CareView(
            FhirContext fhirContext,
            DaoRegistry daoRegistry,
            DirectoryHsaIds directory,
            WeighedPatients memory,
            PdlRule.Reader reader) {
        this.fhirContext = fhirContext;
        this.daoRegistry = daoRegistry;
        this.directory = directory;
        this.memory = memory;
        this.reader = reader;
    }

    /**
     * The view of the request's care token, kept with the request, if PDL's rules hold for it: a
     * token with a commission that is neither a patient's nor a region-wide client's.
     */
    static Optional<CareView> of(
            RequestDetails request,
            AccessToken token,
            PdlProperties pdl,
            FhirContext fhirContext,
            DaoRegistry daoRegistry,
            DirectoryHsaIds directory,
            WeighedPatients memory) {
        if (!pdl.enabled()
                || token.patientToken()
                || token.regionWide()
                || token.commission().isEmpty()) {
            return Optional.empty();
        }
        Object known = request.getUserData().get(KEY);
        if (known instanceof CareView view) {
            return Optional.of(view);
        }
        Commission commission = token.commission().get();
        List<PdlDeclaration> declared = PdlDeclaration.accepted(request);
        PdlRule.Reader reader = new PdlRule.Reader(
                commission,
                commission.employee().isPresent(),
                declared.stream().anyMatch(d -> d.kind() == PdlDeclaration.Kind.CARE_RELATIONSHIP),
                declared.stream().anyMatch(d -> d.kind() == PdlDeclaration.Kind.EMERGENCY_ACCESS));
        CareView view = new CareView(fhirContext, daoRegistry, directory, memory, reader);
        request.getUserData().put(KEY, view);
        return Optional.of(view);
    }

    /** Whether the type is patient data the rule weighs (not the Patient, whom all care reads). */
    static boolean holdsPatientData(String type) {
        return type != null && (OWNED.contains(type) || ABOUT_A_PATIENT.contains(type));
    }

    @Override
    public String who() {
        return "A care token under Patientdatalagen";
    }

    /**
     * The care giver that owns the resource, when it is not the reader's. Patientdatalagen lets
     * care read another care giver's records (with the patient's samtycke or by emergency access)
     * but each care giver keeps its own: only it changes or deletes them.
     */
    Optional<String> otherCareGiverOwning(IBaseResource resource) {
        return Owner.of(resource).map(Owner::careGiver).filter(owner -> !owner.equals(reader.careGiver()));
    }

    /** Whether anything of a patient this request asked about is hidden from it by a spärr. */
    boolean sawBlocked() {
        return patients.values().stream().anyMatch(p -> p.blocked);
    }

    @Override
    public boolean mayRead(IBaseResource resource) {
        String type = fhirContext.getResourceType(resource);
        if (REGION_WIDE.contains(type)) {
            return false;
        }
        if (OWNED.contains(type)) {
            Optional<String> patient = patientOf(resource);
            Optional<Owner> owner = Owner.of(resource);
            if (patient.isEmpty() || owner.isEmpty()) {
                return false;
            }
            // A unit reads its own data whatever else holds (PdlRule's first rule): the patient's
            // other data need not be weighed for it.
            return ownUnit(owner.get()) || patient(patient.get()).decide(owner.get()) == Access.READ;
        }
        if (resource instanceof Provenance provenance) {
            return provenanceReadable(provenance);
        }
        if (ABOUT_A_PATIENT.contains(type)) {
            // A log entry or a relative names a patient, with whom the reader must have a care
            // relationship, and may name their data, each of which the reader must be able to read:
            // one that names no patient is no care unit's to read (deny by default).
            List<String> patients = patientsOf(resource);
            return !patients.isEmpty()
                    && patients.stream().allMatch(p -> patient(p).relationship())
                    && namesOnlyWhatReads(resource, patients);
        }
        return true;
    }

    /** Whether every contract, team, goal or consent the resource refers to reads for the reader. */
    private boolean namesOnlyWhatReads(IBaseResource resource, List<String> patients) {
        for (ResourceReferenceInfo info : fhirContext.newTerser().getAllResourceReferences(resource)) {
            IIdType reference = info.getResourceReference().getReferenceElement();
            if (reference.getResourceType() != null && OWNED.contains(reference.getResourceType())) {
                String key = PatientView.key(reference);
                boolean weighed =
                        patients.stream().anyMatch(p -> patient(p).access.containsKey(key));
                boolean reads = weighed
                        ? patients.stream().anyMatch(p -> patient(p).access.get(key) == Access.READ)
                        // deleted since, or another patient's: as it last was
                        : mayHaveRead(reference);
                if (!reads) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public boolean mayKnowOf(IIdType id) {
        String type = id.getResourceType();
        if (type == null || REGION_WIDE.contains(type)) {
            return false;
        }
        if (!holdsPatientData(type)) {
            return true;
        }
        return read(new IdType(type, id.getIdPart())).map(this::mayRead).orElse(false);
    }

    /**
     * Whether the reader could read the resource with this id as it last was before it was
     * deleted: its last version with content, weighed as it is now.
     */
    boolean mayHaveRead(IIdType id) {
        if (id.getResourceType() != null && REGION_WIDE.contains(id.getResourceType())) {
            return false;
        }
        if (id.getResourceType() == null || !holdsPatientData(id.getResourceType())) {
            return true;
        }
        try {
            IBundleProvider versions = daoRegistry
                    .getResourceDao(id.getResourceType())
                    .history(
                            new IdType(id.getResourceType(), id.getIdPart()),
                            null,
                            null,
                            null,
                            new SystemRequestDetails());
            return versions.getResources(0, 10).stream()
                    .filter(version -> !version.isDeleted())
                    .findFirst()
                    .map(this::mayRead)
                    .orElse(false);
        } catch (BaseServerResponseException | IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public Optional<List<Parameter>> narrowing(String type, Map<String, String[]> params) {
        if (type != null && REGION_WIDE.contains(type)) {
            return Optional.empty();
        }
        if (!holdsPatientData(type)) {
            return Optional.of(List.of());
        }
        if ("Provenance".equals(type)) {
            // Records of changes are searched as the unit's own: of every change to what it owns
            // (ProvenanceRecorder labels each with the owner of what changed). Others read by id,
            // when every contract, team, goal or consent they name reads.
            return Optional.of(List.of(ownUnitParameter()));
        }
        Optional<String> named = namedPatient(params).or(() -> identifiedPatient(params));
        String patientParameter = "Consent".equals(type) || ABOUT_A_PATIENT.contains(type) ? "patient" : "subject";
        if (named.isEmpty()) {
            return OWNED.contains(type) ? Optional.of(acrossPatients(params)) : Optional.empty();
        }
        Patient patient = patient(named.get());
        String reference = "Patient/" + named.get();
        if (OWNED.contains(type)) {
            return Optional.of(
                    List.of(new Parameter("_id", patient.readable(type)), new Parameter(patientParameter, reference)));
        }
        return Optional.of(
                patient.relationship()
                        ? List.of(new Parameter("patient", reference))
                        : List.of(new Parameter("_id", NO_ID), new Parameter("patient", reference)));
    }

    /**
     * A search of contracts, teams, goals or consents across patients (a work list): of what the
     * reader's own care unit owns, when the client asks for just that ({@code _security} with the
     * unit's owner label), which is always readable and so counts exactly; otherwise of the reader's
     * care giver's, each match then weighed patient by patient as it is shown, so the answer carries
     * no {@code total} and a count ({@code _summary=count}) is refused.
     */
    private List<Parameter> acrossPatients(Map<String, String[]> params) {
        Parameter ownUnit = ownUnitParameter();
        if (Arrays.asList(params.getOrDefault("_security", new String[0])).contains(ownUnit.value())) {
            return List.of(ownUnit);
        }
        String[] summary = params.get("_summary");
        if (summary != null && Arrays.asList(summary).contains("count")) {
            throw new ForbiddenOperationException(who()
                    + " counts one patient's data (patient=Patient/{id}), or across patients what its own care"
                    + " unit owns (_security=" + ownUnit.value() + "): a count across patients would count data it"
                    + " may not read");
        }
        weighedOneByOne = true;
        return List.of(new Parameter("_security", Vocabulary.OWNER_CARE_GIVER + "|" + reader.careGiver()));
    }

    /**
     * Whether a search of this request is weighed match by match as it is shown, so that its total,
     * counted before, may count what it does not show.
     */
    boolean weighedOneByOne() {
        return weighedOneByOne;
    }

    private Parameter ownUnitParameter() {
        return new Parameter("_security", PdlCriteria.ownUnit(reader.commission()));
    }

    @Override
    public Optional<String> refusesParameter(String name) {
        String base = name.split("[:.]", 2)[0];
        if (CROSSING.contains(base) || base.startsWith("_has")) {
            return Optional.of("Search parameter '" + name + "' tells of data in other resources; " + who()
                    + " may not use " + CROSSING.stream().sorted().toList());
        }
        if (name.contains(".") && !CHAINABLE.contains(base)) {
            return Optional.of("Search parameter '" + name + "' is chained through '" + base + "'; " + who()
                    + " chains only through " + CHAINABLE.stream().sorted().toList());
        }
        return Optional.empty();
    }

    /**
     * The one patient a search names by id ({@code subject}, {@code patient}, with or without the
     * {@code :Patient} modifier, one value, one id), if it names one.
     */
    static Optional<String> namedPatient(Map<String, String[]> params) {
        Set<String> ids = new HashSet<>();
        for (Map.Entry<String, String[]> entry : params.entrySet()) {
            String name = entry.getKey();
            if (!PATIENT_PARAMETERS.contains(name.replace(":Patient", ""))) {
                continue;
            }
            for (String value : entry.getValue()) {
                if (value == null || value.contains(",")) {
                    return Optional.empty();
                }
                String id = value.startsWith("Patient/") ? value.substring("Patient/".length()) : value;
                if (id.contains("/") || !TokenClaims.ID.matcher(id).matches()) {
                    return Optional.empty();
                }
                ids.add(id);
            }
        }
        return ids.size() == 1 ? Optional.of(ids.iterator().next()) : Optional.empty();
    }

    /**
     * The one patient a search names by identifier through a chain ({@code
     * subject:Patient.identifier}, {@code patient.identifier}, one value), when exactly one patient
     * holds it (a personnummer is one patient's): such a search is about that patient and is
     * narrowed as one that names the patient by id, so its total is exact and its matches need
     * not be weighed one by one. An identifier no patient holds names no one, and its answer has
     * the shape of the answer about a patient whose data the reader may not read.
     */
    private Optional<String> identifiedPatient(Map<String, String[]> params) {
        String[] values = null;
        for (Map.Entry<String, String[]> entry : params.entrySet()) {
            String name = entry.getKey().replace(":Patient", "");
            if (PATIENT_PARAMETERS.contains(name)) {
                return Optional.empty();
            }
            if (PATIENT_PARAMETERS.stream().anyMatch(p -> name.equals(p + ".identifier"))) {
                if (values != null) {
                    return Optional.empty();
                }
                values = entry.getValue();
            }
        }
        if (values == null || values.length != 1 || values[0] == null || values[0].contains(",")) {
            return Optional.empty();
        }
        TokenParam identifier = new TokenParam();
        identifier.setValueAsQueryToken(fhirContext, org.hl7.fhir.r4.model.Patient.SP_IDENTIFIER, null, values[0]);
        if (identifier.getValue() == null || identifier.getValue().isBlank()) {
            return Optional.empty();
        }
        List<IBaseResource> found = daoRegistry
                .getResourceDao("Patient")
                .search(
                        SearchParameterMap.newSynchronous(org.hl7.fhir.r4.model.Patient.SP_IDENTIFIER, identifier),
                        new SystemRequestDetails())
                .getResources(0, 2);
        if (found.size() > 1) {
            return Optional.empty();
        }
        // None holds it: a search of no one, answered as one of a patient whose data does not read.
        return Optional.of(found.isEmpty() ? NO_ID : found.get(0).getIdElement().getIdPart());
    }

    /**
     * A record of a change reads where it is the reader's own unit's record (its labels: the writer's
     * commission, or the owner of what changed), or where the reader may read every contract, team,
     * goal and consent it names, as they are now.
     */
    private boolean provenanceReadable(Provenance provenance) {
        if (Owner.of(provenance).filter(this::ownUnit).isPresent()) {
            return true;
        }
        boolean any = false;
        for (Reference target : provenance.getTarget()) {
            IIdType id = target.getReferenceElement();
            if (!id.hasIdPart() || !holdsPatientData(id.getResourceType()) || !OWNED.contains(id.getResourceType())) {
                continue;
            }
            any = true;
            boolean readable = targets.computeIfAbsent(
                    id.getResourceType() + "/" + id.getIdPart(),
                    key -> read(new IdType(key)).map(this::mayRead).orElse(false));
            if (!readable) {
                return false;
            }
        }
        return any;
    }

    private boolean ownUnit(Owner owner) {
        return owner.unit().equals(reader.unit()) && owner.careGiver().equals(reader.careGiver());
    }

    private Optional<String> patientOf(IBaseResource resource) {
        List<String> about = patientsOf(resource);
        return about.size() == 1 ? Optional.of(about.get(0)) : Optional.empty();
    }

    private List<String> patientsOf(IBaseResource resource) {
        return fhirContext.newTerser().getCompartmentOwnersForResource("Patient", resource, Set.of()).stream()
                .filter(id -> "Patient".equals(id.getResourceType()) && id.hasIdPart())
                .map(IIdType::getIdPart)
                .distinct()
                .toList();
    }

    private Patient patient(String id) {
        if (!patients.containsKey(id)) {
            weigh(List.of(id));
        }
        return patients.get(id);
    }

    /**
     * Weighs, with one search per type, every patient of these resources whom this request has not
     * weighed yet: the matches of a work list's page, which would otherwise cost four searches per
     * patient. What the reader's own unit owns reads without weighing, so its patients are left.
     */
    void weighPatientsOf(List<IBaseResource> resources) {
        Set<String> wanted = new LinkedHashSet<>();
        for (IBaseResource resource : resources) {
            if (resource != null
                    && OWNED.contains(fhirContext.getResourceType(resource))
                    && Owner.of(resource).filter(this::ownUnit).isEmpty()) {
                patientOf(resource).filter(p -> !patients.containsKey(p)).ifPresent(wanted::add);
            }
        }
        if (wanted.size() >= 2) {
            weigh(List.copyOf(wanted));
        }
    }

    /**
     * Weighs these patients: what is remembered of each (across requests) where the data it was
     * worked out from is unchanged, the rest afresh with one search per type for up to {@link
     * #WEIGHED_AT_ONCE} of them.
     */
    private void weigh(List<String> patientIds) {
        LocalDate today = LocalDate.now(SWEDEN);
        for (int from = 0; from < patientIds.size(); from += WEIGHED_AT_ONCE) {
            List<String> chunk = patientIds.subList(from, Math.min(patientIds.size(), from + WEIGHED_AT_ONCE));
            Map<String, WeighedPatients.Weighed> remembered = memory.stillHolding(chunk, today);
            remembered.forEach((id, weighed) -> patients.put(id, new Patient(weighed)));
            List<String> unknown =
                    chunk.stream().filter(id -> !remembered.containsKey(id)).toList();
            if (unknown.isEmpty()) {
                continue;
            }
            Map<String, List<IBaseResource>> owned = ownedOf(unknown);
            for (String id : unknown) {
                List<IBaseResource> resources = owned.getOrDefault(id, List.of());
                patients.put(id, new Patient(weighed(id, resources, today)));
            }
        }
    }

    /** The contracts, teams, goals and consents of these patients, by patient. */
    private Map<String, List<IBaseResource>> ownedOf(List<String> patientIds) {
        List<String> references = patientIds.stream().map(id -> "Patient/" + id).toList();
        List<IBaseResource> found = new ArrayList<>();
        found.addAll(search(CarePlan.class, CarePlan.SP_SUBJECT, references));
        found.addAll(search(CareTeam.class, CareTeam.SP_SUBJECT, references));
        found.addAll(search(Goal.class, Goal.SP_SUBJECT, references));
        found.addAll(search(Consent.class, Consent.SP_PATIENT, references));
        Map<String, List<IBaseResource>> byPatient = new HashMap<>();
        for (IBaseResource resource : found) {
            patientOf(resource)
                    .ifPresent(p ->
                            byPatient.computeIfAbsent(p, k -> new ArrayList<>()).add(resource));
        }
        return byPatient;
    }

    private WeighedPatients.Weighed weighed(String patientId, List<IBaseResource> owned, LocalDate today) {
        List<IBaseResource> consents =
                owned.stream().filter(Consent.class::isInstance).toList();
        Set<String> unitsTakingPart = unitsTakingPartToday(owned, today);
        Map<String, Set<String>> holding = holdingToday(consents, today);
        PdlRule.Facts facts = new PdlRule.Facts(
                Set.copyOf(unitsTakingPart),
                Set.copyOf(holding.getOrDefault(SAMTYCKE, Set.of())),
                Set.copyOf(holding.getOrDefault(INRE_SPARR, Set.of())),
                Set.copyOf(holding.getOrDefault(YTTRE_SPARR, Set.of())));
        Map<String, Optional<Owner>> owners = new LinkedHashMap<>();
        for (IBaseResource resource : owned) {
            owners.put(PatientView.key(resource.getIdElement()), Owner.of(resource));
        }
        return memory.remember(patientId, today, owned, facts, owners);
    }

    /**
     * The units in the patient's care now (aktuell vårdrelation): the owners of contracts, teams and
     * goals still in force, the performers of a contract in force, and a team in force's managing
     * unit and participants whose period holds today. A contract completed or revoked, a team made
     * inactive, a goal reached or given up, or a participation that has ended no longer makes one;
     * the owning unit still reads its own data.
     */
    private Set<String> unitsTakingPartToday(List<IBaseResource> owned, LocalDate today) {
        Set<String> units = new HashSet<>();
        for (IBaseResource resource : owned) {
            if (resource instanceof CarePlan plan && IN_FORCE_PLANS.contains(plan.getStatus())) {
                Owner.of(plan).map(Owner::unit).ifPresent(units::add);
                plan.getActivity()
                        .forEach(activity -> activity.getDetail().getPerformer().forEach(performer -> hsaId(performer)
                                .ifPresent(units::add)));
            } else if (resource instanceof Goal goal && IN_FORCE_GOALS.contains(goal.getLifecycleStatus())) {
                Owner.of(goal).map(Owner::unit).ifPresent(units::add);
            } else if (resource instanceof CareTeam team
                    && (!team.hasStatus() || IN_FORCE_TEAMS.contains(team.getStatus()))) {
                Owner.of(team).map(Owner::unit).ifPresent(units::add);
                team.getManagingOrganization().forEach(org -> hsaId(org).ifPresent(units::add));
                team.getParticipant().stream()
                        .filter(participant -> holds(participant.getPeriod(), today))
                        .forEach(participant -> {
                            hsaId(participant.getMember()).ifPresent(units::add);
                            hsaId(participant.getOnBehalfOf()).ifPresent(units::add);
                        });
            }
        }
        return units;
    }

    /**
     * The HSA-ids each kind of Consent names that holds today (status active, today within its
     * provision's period): for a samtycke the care givers it is given to, for a spärr the units or
     * care givers it hides.
     */
    private Map<String, Set<String>> holdingToday(List<IBaseResource> consents, LocalDate today) {
        Map<String, Set<String>> holding = new HashMap<>();
        for (IBaseResource resource : consents) {
            Consent consent = (Consent) resource;
            if (consent.getStatus() != Consent.ConsentState.ACTIVE
                    || !holds(consent.getProvision().getPeriod(), today)) {
                continue;
            }
            Optional<String> kind = consent.getCategory().stream()
                    .flatMap(c -> c.getCoding().stream())
                    .filter(c -> Vocabulary.CONSENT_CATEGORY.equals(c.getSystem()))
                    .map(Coding::getCode)
                    .findFirst();
            if (kind.isEmpty()) {
                continue;
            }
            boolean permit = consent.getProvision().getType() == Consent.ConsentProvisionType.PERMIT;
            if (permit != SAMTYCKE.equals(kind.get())) {
                continue; // a contradiction the profile refuses; it neither permits nor blocks
            }
            Set<String> named = holding.computeIfAbsent(kind.get(), k -> new HashSet<>());
            consent.getProvision().getActor().forEach(actor -> hsaId(actor.getReference())
                    .ifPresent(named::add));
        }
        return holding;
    }

    private static boolean holds(Period period, LocalDate today) {
        return (!period.hasStart() || !toDate(period.getStart()).isAfter(today))
                && (!period.hasEnd() || !toDate(period.getEnd()).isBefore(today));
    }

    private static LocalDate toDate(Date date) {
        return date.toInstant().atZone(SWEDEN).toLocalDate();
    }

    /**
     * The HSA-id a reference names: its identifier, or that of the Organization it points at, or of
     * a PractitionerRole's organization.
     */
    private Optional<String> hsaId(Reference reference) {
        if (reference == null || reference.isEmpty()) {
            return Optional.empty();
        }
        if (reference.hasIdentifier()
                && SwedishIdentifiers.HSA_ID.equals(reference.getIdentifier().getSystem())) {
            return Optional.ofNullable(reference.getIdentifier().getValue());
        }
        IIdType id = reference.getReferenceElement();
        if (!id.hasIdPart() || id.isAbsolute()) {
            return Optional.empty();
        }
        String key = id.getResourceType() + "/" + id.getIdPart();
        if (hsaIds.containsKey(key)) {
            return hsaIds.get(key);
        }
        Optional<Optional<String>> remembered = directory.remembered(key);
        if (remembered.isPresent()) {
            hsaIds.put(key, remembered.get());
            return remembered.get();
        }
        hsaIds.put(key, Optional.empty()); // a loop of references ends here
        Optional<String> found =
                switch (String.valueOf(id.getResourceType())) {
                    case "Organization" ->
                        read(new IdType(key)).map(Organization.class::cast).flatMap(org -> org.getIdentifier().stream()
                                .filter(i -> SwedishIdentifiers.HSA_ID.equals(i.getSystem()))
                                .map(i -> i.getValue())
                                .findFirst());
                    case "PractitionerRole" ->
                        read(new IdType(key))
                                .map(PractitionerRole.class::cast)
                                .flatMap(role -> hsaId(role.getOrganization()));
                    default -> Optional.empty();
                };
        hsaIds.put(key, found);
        directory.remember(key, found);
        return found;
    }

    private Optional<IBaseResource> read(IIdType id) {
        try {
            return Optional.of(daoRegistry.getResourceDao(id.getResourceType()).read(id, new SystemRequestDetails()));
        } catch (BaseServerResponseException | IllegalArgumentException e) {
            return Optional.empty(); // absent, gone, or of a type not served: it names no one
        }
    }

    private List<IBaseResource> search(
            Class<? extends IBaseResource> type, String parameter, List<String> patientReferences) {
        ReferenceOrListParam anyOf = new ReferenceOrListParam();
        patientReferences.forEach(reference -> anyOf.addOr(new ReferenceParam(reference)));
        SearchParameterMap map = SearchParameterMap.newSynchronous().add(parameter, anyOf);
        return daoRegistry
                .getResourceDao(type)
                .search(map, new SystemRequestDetails())
                .getAllResources();
    }

    /** What one patient's data is to this reader. */
    private final class Patient {

        private final PdlRule.Facts facts;
        private final Map<String, Access> access;
        private final boolean blocked;

        Patient(WeighedPatients.Weighed weighed) {
            this.facts = weighed.facts();
            this.access = new LinkedHashMap<>();
            weighed.owners()
                    .forEach((key, owner) -> access.put(
                            key,
                            owner.map(o -> PdlRule.decide(o, reader, facts)).orElse(Access.DENIED)));
            this.blocked = access.containsValue(Access.BLOCKED);
        }

        Access decide(Owner owner) {
            return PdlRule.decide(owner, reader, facts);
        }

        Access access(String key) {
            return access.getOrDefault(key, Access.DENIED);
        }

        boolean relationship() {
            return PdlRule.hasCareRelationship(reader, facts);
        }

        /** The ids of this type the reader may read, as an {@code _id} OR list. */
        String readable(String type) {
            List<String> ids = access.entrySet().stream()
                    .filter(e -> e.getValue() == Access.READ && e.getKey().startsWith(type + "/"))
                    .map(e -> e.getKey().substring(type.length() + 1))
                    .sorted()
                    .collect(Collectors.toList());
            return ids.isEmpty() ? NO_ID : String.join(",", ids);
        }
    }
}
