package se.patientkontrakt.fhir.hapi;

import ca.uhn.fhir.interceptor.api.HookParams;
import ca.uhn.fhir.interceptor.api.IInterceptorBroadcaster;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.interceptor.model.RequestPartitionId;
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
import ca.uhn.fhir.rest.api.server.IPreResourceAccessDetails;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SimplePreResourceAccessDetails;
import ca.uhn.fhir.rest.server.interceptor.ServerInterceptorUtil;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import ca.uhn.fhir.rest.server.util.CompositeInterceptorBroadcaster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;
import org.springframework.stereotype.Component;

/**
 * Reads resources by their database keys, in few round trips, for an operation that assembles
 * its answer itself (the portal view): the keys a search matches, the keys of given ids, and the
 * current versions of given keys, loaded together whatever their types.
 *
 * <p>What it loads is shown to the request as a HAPI read shows it: the storage hooks a read
 * fires ({@code STORAGE_PREACCESS_RESOURCES}, {@code STORAGE_PRESHOW_RESOURCES}) run over it, so
 * every access rule and the access log see it, and may withhold it, exactly as on {@code GET}.
 * HAPI's id resolution, search builders and loader are internal to HAPI's JPA server: this is the
 * one class that uses them (see this package's README).
 */
@Component
public class ResourceLoader {

    /** A stored resource's database key, opaque outside this package. */
    public record Key(JpaPid pid) {}

    private final IHapiTransactionService transactions;
    private final IIdHelperService<JpaPid> idHelper;
    private final SearchBuilderFactory<JpaPid> searchBuilders;
    private final IInterceptorBroadcaster interceptors;

    ResourceLoader(
            IHapiTransactionService transactions,
            IIdHelperService<JpaPid> idHelper,
            SearchBuilderFactory<JpaPid> searchBuilders,
            IInterceptorBroadcaster interceptors) {
        this.transactions = transactions;
        this.idHelper = idHelper;
        this.searchBuilders = searchBuilders;
        this.interceptors = interceptors;
    }

    /** Runs the work in one read-only database transaction of the request. */
    public <T> T inReadOnlyTransaction(RequestDetails request, Callable<T> work) {
        return transactions.withRequest(request).readOnly().execute(work);
    }

    /**
     * The keys of what a search matches, from HAPI's own search builder (so the same SQL and rules
     * as {@code GET /Type?...}), without registering a search or loading the matches.
     */
    public List<Key> matches(
            String type,
            Class<? extends IBaseResource> resourceType,
            SearchParameterMap params,
            RequestDetails request) {
        List<Key> keys = new ArrayList<>();
        try (IResultIterator<JpaPid> matches = searchBuilders
                .newSearchBuilder(type, resourceType)
                .createQuery(
                        params,
                        new SearchRuntimeDetails(request, UUID.randomUUID().toString()),
                        request,
                        RequestPartitionId.allPartitions())) {
            matches.forEachRemaining(pid -> keys.add(new Key(pid)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return keys;
    }

    /**
     * The keys of the given ids, deleted ones included (the load leaves those out). The
     * id-to-key lookup may come from HAPI's cache: that mapping never changes for a stored id.
     */
    public List<Key> keysOf(Collection<IIdType> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        return idHelper
                .resolveResourceIdentities(
                        RequestPartitionId.allPartitions(),
                        List.copyOf(ids),
                        ResolveIdentityMode.includeDeleted().cacheOk())
                .values()
                .stream()
                .map(IResourceLookup::getPersistentId)
                .map(Key::new)
                .toList();
    }

    /** The id part ({@code goran-karlsson}) of a stored resource's key. */
    public Optional<String> idPartOf(Key key) {
        return idHelper.translatePidIdToForcedIdWithCache(key.pid())
                // HAPI gives the id with its type ("Patient/x"), or without.
                .map(fhirId -> fhirId.contains("/") ? fhirId.substring(fhirId.lastIndexOf('/') + 1) : fhirId);
    }

    /** The current versions of the resources with the given keys, as stored; deleted ones left out. */
    public List<IBaseResource> loadStored(List<Key> keys, RequestDetails request) {
        List<IBaseResource> loaded = new ArrayList<>();
        if (keys.isEmpty()) {
            return loaded;
        }
        List<JpaPid> pids =
                new ArrayList<>(new LinkedHashSet<>(keys.stream().map(Key::pid).toList()));
        // The loader reads by key whatever the type; the type it is made for only names it.
        ISearchBuilder<JpaPid> loader = searchBuilders.newSearchBuilder("Patient", Patient.class);
        loader.loadResourcesByPid(pids, List.of(), loaded, false, request);
        // A resource deleted since it was referenced is skipped by the load and leaves a gap.
        loaded.removeIf(Objects::isNull);
        return loaded;
    }

    /**
     * What the request may see of loaded resources: the storage hooks a HAPI read fires run over
     * them, so access rules see, and may withhold, what is shown, and the access log records it.
     */
    public List<Resource> show(List<IBaseResource> loaded, RequestDetails request) {
        if (loaded.isEmpty()) {
            return List.of();
        }
        IInterceptorBroadcaster hooks = CompositeInterceptorBroadcaster.newCompositeBroadcaster(interceptors, request);
        List<IBaseResource> accessible = new ArrayList<>(loaded);
        if (hooks.hasHooks(Pointcut.STORAGE_PREACCESS_RESOURCES)) {
            SimplePreResourceAccessDetails access = new SimplePreResourceAccessDetails(accessible);
            hooks.callHooks(
                    Pointcut.STORAGE_PREACCESS_RESOURCES,
                    new HookParams()
                            .add(IPreResourceAccessDetails.class, access)
                            .add(RequestDetails.class, request)
                            .addIfMatchesType(ServletRequestDetails.class, request));
            access.applyFilterToList();
        }
        return ServerInterceptorUtil.fireStoragePreshowResource(accessible, request, interceptors).stream()
                .filter(Objects::nonNull)
                .map(Resource.class::cast)
                .toList();
    }
}
