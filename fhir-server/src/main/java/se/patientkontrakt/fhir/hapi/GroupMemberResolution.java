package se.patientkontrakt.fhir.hapi;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import ca.uhn.fhir.jpa.api.svc.IIdHelperService;
import ca.uhn.fhir.jpa.api.svc.ResolveIdentityMode;
import ca.uhn.fhir.jpa.model.cross.IResourceLookup;
import ca.uhn.fhir.jpa.model.dao.JpaPid;
import ca.uhn.fhir.rest.api.server.storage.TransactionDetails;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.IdType;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.StorageInterceptor;

/**
 * Resolves the members of a large Group to their database keys in a few queries before HAPI
 * indexes the Group, so that storing a target group of tens of thousands of members takes seconds.
 *
 * <p>HAPI FHIR 8.8.0 indexes a reference of a resource being updated by first looking for the same
 * link among the resource's existing links ({@code SearchParamExtractorService.findMatchingResourceLink}),
 * and that look-up translates the keys of <em>all</em> existing links to ids, with a query per 500
 * keys, for every reference. Updating a Group of n members thus runs some n²/500 queries (each
 * also making Hibernate dirty-check everything the transaction holds): adding the second part of
 * 75 år och äldre (7,500 members to 7,500) ran for more than four minutes without ending, and a
 * region's monthly reload of a target group would pay the same. HAPI skips that look-up for a
 * reference whose key the write's {@link TransactionDetails} already holds, as it does for the
 * entries of a transaction Bundle. This interceptor puts them there: every member reference
 * ({@code Group.member.entity}) of a Group with at least {@link #THRESHOLD} members, resolved in
 * chunks of {@link #CHUNK} ids by HAPI's own id resolution, deleted resources left out. A member
 * that does not resolve is left to HAPI, which refuses the Group as before (a reference to a
 * resource the server does not hold, or a deleted one).
 *
 * <p>It runs after every rule and the validation ({@link HookOrder#EFFECTS}), so a Group that is
 * refused costs no look-up, and it changes nothing that is stored: the links are the ones HAPI
 * would have made, with the keys HAPI's resolution gives.
 */
@Component
@Interceptor
class GroupMemberResolution implements StorageInterceptor {

    /** Groups smaller than this are left to HAPI: its per-reference cost is negligible there. */
    static final int THRESHOLD = 100;

    /** Ids resolved per query: HAPI's resolution puts every id of a call in one statement. */
    static final int CHUNK = 500;

    private final IIdHelperService<JpaPid> idHelper;

    GroupMemberResolution(IIdHelperService<JpaPid> idHelper) {
        this.idHelper = idHelper;
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED, order = HookOrder.EFFECTS + 10)
    void beforeCreate(IBaseResource resource, TransactionDetails transaction) {
        resolveMembers(resource, transaction);
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED, order = HookOrder.EFFECTS + 10)
    void beforeUpdate(IBaseResource previous, IBaseResource resource, TransactionDetails transaction) {
        resolveMembers(resource, transaction);
    }

    private void resolveMembers(IBaseResource resource, TransactionDetails transaction) {
        if (!(resource instanceof Group group)
                || transaction == null
                || group.getMember().size() < THRESHOLD) {
            return;
        }
        Map<String, IIdType> members = new LinkedHashMap<>();
        for (Group.GroupMemberComponent member : group.getMember()) {
            IIdType id = member.getEntity().getReferenceElement();
            if (id.hasResourceType() && id.hasIdPart() && !id.isAbsolute() && !id.isLocal()) {
                IIdType versionless = new IdType(id.getResourceType(), id.getIdPart());
                if (transaction.getResolvedResourceId(versionless) == null) {
                    members.putIfAbsent(versionless.getValue(), versionless);
                }
            }
        }
        List<IIdType> ids = new ArrayList<>(members.values());
        for (int from = 0; from < ids.size(); from += CHUNK) {
            List<IIdType> chunk = ids.subList(from, Math.min(from + CHUNK, ids.size()));
            Map<IIdType, IResourceLookup<JpaPid>> resolved = idHelper.resolveResourceIdentities(
                    RequestPartitionId.allPartitions(),
                    chunk,
                    ResolveIdentityMode.excludeDeleted().noCacheUnlessDeletesDisabled());
            resolved.forEach((id, lookup) -> transaction.addResolvedResourceId(
                    new IdType(id.getResourceType(), id.getIdPart()), lookup.getPersistentId()));
        }
    }
}
