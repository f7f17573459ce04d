package se.patientkontrakt.fhir.portal;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.HookParams;
import ca.uhn.fhir.interceptor.api.IInterceptorBroadcaster;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.svc.IIdHelperService;
import ca.uhn.fhir.jpa.api.svc.ResolveIdentityMode;
import ca.uhn.fhir.jpa.dao.IResultIterator;
import ca.uhn.fhir.jpa.dao.ISearchBuilder;
import ca.uhn.fhir.jpa.dao.SearchBuilderFactory;
import ca.uhn.fhir.jpa.dao.tx.IHapiTransactionService;
import ca.uhn.fhir.jpa.model.cross.IResourceLookup;
import ca.uhn.fhir.jpa.model.dao.JpaPid;
import ca.uhn.fhir.jpa.model.search.SearchRuntimeDetails;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.server.IPreResourceAccessDetails;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SimplePreResourceAccessDetails;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.rest.server.interceptor.ServerInterceptorUtil;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import ca.uhn.fhir.rest.server.util.CompositeInterceptorBroadcaster;
import ca.uhn.fhir.util.FhirTerser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.SearchEntryMode;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.conformance.SwedishIdentifiers;
import se.patientkontrakt.fhir.server.RestProvider;

/**
 * {@code Patient/$patientkontrakt}: a patient's active contracts with everything a 1177-type
 * portal needs to show them, in one response — the contracts (search mode {@code match}), and
 * (mode {@code include}) the patient, the contact team, goals, the fixed contacts'
 * PractitionerRoles with their Practitioners and Organizations, and the other plans (SIP) the
 * contract points to. References are followed up to {@value #DEPTH} steps from a contract, and
 * only to the resource types a portal shows.
 */
@Component
class PatientContractOperation implements RestProvider {

    static final String CATEGORY_SYSTEM = "https://patientkontrakt.se/fhir/CodeSystem/pk-careplan-category";
    static final String CATEGORY_CODE = "patientkontrakt";

    private static final int DEPTH = 3;
    private static final Set<String> FOLLOWED = Set.of(
            "Patient",
            "CareTeam",
            "Goal",
            "PractitionerRole",
            "Practitioner",
            "Organization",
            "CarePlan",
            "RelatedPerson");

    private final FhirContext fhirContext;
    private final DaoRegistry daoRegistry;
    private final IHapiTransactionService transactions;
    private final IIdHelperService<JpaPid> idHelper;
    private final SearchBuilderFactory<JpaPid> searchBuilders;
    private final IInterceptorBroadcaster interceptors;

    PatientContractOperation(
            FhirContext fhirContext,
            DaoRegistry daoRegistry,
            IHapiTransactionService transactions,
            IIdHelperService<JpaPid> idHelper,
            SearchBuilderFactory<JpaPid> searchBuilders,
            IInterceptorBroadcaster interceptors) {
        this.fhirContext = fhirContext;
        this.daoRegistry = daoRegistry;
        this.transactions = transactions;
        this.idHelper = idHelper;
        this.searchBuilders = searchBuilders;
        this.interceptors = interceptors;
    }

    @Operation(name = "$patientkontrakt", typeName = "Patient", idempotent = true)
    public Bundle forPatient(@IdParam IdType id, RequestDetails request) {
        IIdType patientId = new IdType("Patient", id.getIdPart());
        return inTransaction(request, () -> {
            Optional<Bundle> view = idHelper
                    .resolveResourceIdentities(
                            RequestPartitionId.allPartitions(),
                            List.of(patientId),
                            ResolveIdentityMode.includeDeleted().cacheOk())
                    .values()
                    .stream()
                    .findFirst()
                    .flatMap(found -> view(found.getPersistentId(), found.getFhirId(), request));
            // Unknown, deleted or withheld: HAPI's own read gives the answer it gives a read.
            return view.orElseGet(() -> {
                daoRegistry.getResourceDao(Patient.class).read(patientId, request);
                throw new ResourceNotFoundException(patientId);
            });
        });
    }

    @Operation(name = "$patientkontrakt", typeName = "Patient", idempotent = true)
    public Bundle forIdentifier(
            @OperationParam(name = "identifier", min = 1, max = 1) StringType identifier, RequestDetails request) {
        String[] parts =
                identifier == null ? new String[0] : identifier.getValue().split("\\|", 2);
        if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
            throw new InvalidRequestException("Give the patient as identifier=system|value, e.g. "
                    + SwedishIdentifiers.PERSONNUMMER + "|191212121212");
        }
        String system = SwedishIdentifiers.canonicalSystem(parts[0]);
        String notFound = "No patient with identifier " + system + "|" + parts[1];
        return inTransaction(request, () -> {
            List<JpaPid> found = pids(
                    "Patient",
                    Patient.class,
                    SearchParameterMap.newSynchronous("identifier", new TokenParam(system, parts[1])),
                    request);
            if (found.size() > 1) {
                throw new InvalidRequestException("More than one patient has identifier " + system + "|" + parts[1]);
            }
            return found.stream()
                    .findFirst()
                    .flatMap(pid -> idHelper.translatePidIdToForcedIdWithCache(pid)
                            // HAPI gives the id with its type ("Patient/x"), or without.
                            .map(fhirId -> new IdType(fhirId).getIdPart())
                            .flatMap(fhirId -> view(pid, fhirId, request)))
                    .orElseThrow(() -> new ResourceNotFoundException(notFound));
        });
    }

    /**
     * One read-only transaction for the whole view. The patient is found by key, not read on its
     * own: it is loaded with the contracts, in one round, and is shown only if that load finds it.
     */
    private Bundle inTransaction(RequestDetails request, Callable<Bundle> view) {
        return transactions.withRequest(request).readOnly().execute(view);
    }

    /**
     * The contracts, then the resources they point to, a level at a time: each level's
     * references are resolved and loaded together (one id lookup and one load of the current
     * versions, whatever their types). Empty when the patient itself is not shown: deleted since
     * its key was found, or withheld by an access rule.
     */
    private Optional<Bundle> view(JpaPid patientPid, String patientFhirId, RequestDetails request) {
        // All the patient's plans, told apart below. Searched with status and category as well,
        // H2 starts its join from every active CarePlan's status row (scanning 100,000 of them at
        // 100,000 contracts, 300-600 ms for a patient not in its cache) instead of from the one
        // patient's references; PostgreSQL plans either well.
        SearchParameterMap plans =
                SearchParameterMap.newSynchronous().add("subject", new ReferenceParam("Patient/" + patientFhirId));
        List<JpaPid> keys = new ArrayList<>();
        keys.add(patientPid);
        keys.addAll(pids("CarePlan", CarePlan.class, plans, request));
        // The loader reads by key whatever the type; the type it is made for only names it. HAPI
        // makes each builder as a Spring bean, so one serves every load of the view.
        ISearchBuilder<JpaPid> loader = searchBuilders.newSearchBuilder("Patient", Patient.class);
        List<IBaseResource> stored = loadStored(loader, keys, request);
        // Before the access rules see them: only the active contracts are the view's to show.
        stored.removeIf(resource -> resource instanceof CarePlan plan && !isActiveContract(plan));
        List<Resource> loaded = show(stored, request);
        // The only Patient among the keys; the others are contracts.
        Optional<Resource> patient =
                loaded.stream().filter(Patient.class::isInstance).findFirst();
        if (patient.isEmpty()) {
            return Optional.empty();
        }

        Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET);
        Set<String> seen = new HashSet<>();
        List<Resource> toFollow = new ArrayList<>();
        for (Resource contract : loaded) {
            if (contract instanceof CarePlan) {
                bundle.addEntry().setResource(contract).getSearch().setMode(SearchEntryMode.MATCH);
                seen.add(key(contract.getIdElement()));
                toFollow.add(contract);
            }
        }
        bundle.setTotal(bundle.getEntry().size());
        if (bundle.getEntry().isEmpty()) {
            return Optional.of(bundle);
        }
        seen.add(key(patient.get().getIdElement()));
        bundle.addEntry().setResource(patient.get()).getSearch().setMode(SearchEntryMode.INCLUDE);
        FhirTerser terser = fhirContext.newTerser();
        for (int depth = 0; depth < DEPTH && !toFollow.isEmpty(); depth++) {
            List<IIdType> targets = new ArrayList<>();
            for (Resource resource : toFollow) {
                for (Reference reference : terser.getAllPopulatedChildElementsOfType(resource, Reference.class)) {
                    IIdType target = reference.getReferenceElement();
                    if (target.hasIdPart()
                            && FOLLOWED.contains(target.getResourceType())
                            && !target.isAbsolute()
                            && seen.add(key(target))) {
                        targets.add(target.toUnqualifiedVersionless());
                    }
                }
            }
            toFollow = load(loader, resolve(targets), request);
            toFollow.forEach(
                    read -> bundle.addEntry().setResource(read).getSearch().setMode(SearchEntryMode.INCLUDE));
        }
        bundle.getEntry()
                .forEach(entry -> entry.setFullUrl(entry.getResource()
                        .getIdElement()
                        .toUnqualifiedVersionless()
                        .getValue()));
        return Optional.of(bundle);
    }

    /**
     * The keys of what a search matches, from HAPI's own search builder (so the same SQL and
     * rules as {@code GET /CarePlan?...}), without registering a search or loading the matches.
     */
    private List<JpaPid> pids(
            String type,
            Class<? extends IBaseResource> resourceType,
            SearchParameterMap params,
            RequestDetails request) {
        List<JpaPid> pids = new ArrayList<>();
        try (IResultIterator<JpaPid> matches = searchBuilders
                .newSearchBuilder(type, resourceType)
                .createQuery(
                        params,
                        new SearchRuntimeDetails(request, UUID.randomUUID().toString()),
                        request,
                        RequestPartitionId.allPartitions())) {
            matches.forEachRemaining(pids::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pids;
    }

    /**
     * The keys of the given ids. The id-to-key lookup may come from HAPI's cache: that mapping
     * never changes for a stored id, and the load reads the current version from the database
     * and skips deleted resources.
     */
    private List<JpaPid> resolve(List<IIdType> targets) {
        if (targets.isEmpty()) {
            return List.of();
        }
        return idHelper
                .resolveResourceIdentities(
                        RequestPartitionId.allPartitions(),
                        targets,
                        ResolveIdentityMode.includeDeleted().cacheOk())
                .values()
                .stream()
                .map(IResourceLookup::getPersistentId)
                .toList();
    }

    /**
     * The current versions of the resources with the given keys, in one load whatever their types;
     * deleted ones are left out, and so is whatever an access rule withholds.
     */
    private List<Resource> load(ISearchBuilder<JpaPid> loader, List<JpaPid> keys, RequestDetails request) {
        return show(loadStored(loader, keys, request), request);
    }

    /** The current versions as stored, before any access rule; deleted ones left out. */
    private static List<IBaseResource> loadStored(
            ISearchBuilder<JpaPid> loader, List<JpaPid> keys, RequestDetails request) {
        List<IBaseResource> loaded = new ArrayList<>();
        if (keys.isEmpty()) {
            return loaded;
        }
        List<JpaPid> pids = new ArrayList<>(new LinkedHashSet<>(keys));
        loader.loadResourcesByPid(pids, List.of(), loaded, false, request);
        // A resource deleted since it was referenced is skipped by the load and leaves a gap.
        loaded.removeIf(Objects::isNull);
        return loaded;
    }

    /** What the access rules let the request see of the loaded resources. */
    private List<Resource> show(List<IBaseResource> loaded, RequestDetails request) {
        if (loaded.isEmpty()) {
            return List.of();
        }
        // The storage hooks a read fires, so access rules see and may withhold what is shown.
        IInterceptorBroadcaster hooks = CompositeInterceptorBroadcaster.newCompositeBroadcaster(interceptors, request);
        if (hooks.hasHooks(Pointcut.STORAGE_PREACCESS_RESOURCES)) {
            SimplePreResourceAccessDetails access = new SimplePreResourceAccessDetails(loaded);
            hooks.callHooks(
                    Pointcut.STORAGE_PREACCESS_RESOURCES,
                    new HookParams()
                            .add(IPreResourceAccessDetails.class, access)
                            .add(RequestDetails.class, request)
                            .addIfMatchesType(ServletRequestDetails.class, request));
            access.applyFilterToList();
        }
        return ServerInterceptorUtil.fireStoragePreshowResource(loaded, request, interceptors).stream()
                .filter(Objects::nonNull)
                .map(Resource.class::cast)
                .toList();
    }

    /** What {@code status=active&category=pk-careplan-category|patientkontrakt} matches. */
    private static boolean isActiveContract(CarePlan plan) {
        return plan.getStatus() == CarePlan.CarePlanStatus.ACTIVE
                && plan.getCategory().stream()
                        .flatMap(category -> category.getCoding().stream())
                        .anyMatch(coding ->
                                CATEGORY_SYSTEM.equals(coding.getSystem()) && CATEGORY_CODE.equals(coding.getCode()));
    }

    private static String key(IIdType id) {
        return id.getResourceType() + "/" + id.getIdPart();
    }
}
