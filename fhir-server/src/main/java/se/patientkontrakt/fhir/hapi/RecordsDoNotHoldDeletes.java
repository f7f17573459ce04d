package se.patientkontrakt.fhir.hapi;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.model.DeleteConflict;
import ca.uhn.fhir.jpa.api.model.DeleteConflictList;
import ca.uhn.fhir.jpa.delete.DeleteConflictOutcome;
import ca.uhn.fhir.model.primitive.IdDt;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IIdType;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.StorageInterceptor;

/**
 * The server's records, the access log (AuditEvent) and Provenance, point at what they record but
 * do not keep it from being deleted; every other reference does ({@code 409}). HAPI 8.8 honours
 * {@code setEnforceReferentialIntegrityOnDeleteDisableForPaths} only in {@code $delete-expunge}:
 * a plain delete of anything that had once been read under access control failed for ever,
 * because the read's AuditEvent pointed at it. When HAPI finds conflicts, this looks up, in HAPI's
 * link table, whether anything other than a record refers to the resource; if nothing does, the
 * delete goes ahead, and if something does, the answer names it. That answer is final: HAPI would
 * otherwise retry a refused delete ten times (as a version conflict) before answering.
 */
@Component
@Interceptor
class RecordsDoNotHoldDeletes implements StorageInterceptor {

    /** Types whose references never keep a resource from being deleted. */
    static final Set<String> RECORDS = Set.of("AuditEvent", "Provenance");

    private static final int MOST_REFERRERS_READ = 1_000;

    @PersistenceContext
    private EntityManager entityManager;

    /** Who refers to a resource: the referring resource and the element that holds the reference. */
    private record Referrer(String type, String id, String path) {}

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_DELETE_CONFLICTS, order = HookOrder.CONTENT + 10)
    DeleteConflictOutcome onlyRecordsMayReferToTheDeleted(DeleteConflictList conflicts) {
        Set<IIdType> targets = new LinkedHashSet<>();
        for (DeleteConflict conflict : conflicts) {
            targets.add(conflict.getTargetId());
        }
        for (IIdType target : targets) {
            Optional<Referrer> holding = referrers(target).stream()
                    .filter(r -> !conflicts.isResourceIdMarkedForDeletion(new IdDt(r.type(), r.id())))
                    .findFirst();
            if (holding.isPresent()) {
                throw new Referenced(target, holding.get());
            }
        }
        conflicts.removeIf(conflict -> targets.contains(conflict.getTargetId()));
        return null;
    }

    private List<Referrer> referrers(IIdType target) {
        List<?> rows = entityManager
                .createNativeQuery("SELECT r.RES_TYPE, r.FHIR_ID, l.SRC_PATH FROM HFJ_RES_LINK l"
                        + " JOIN HFJ_RESOURCE r ON r.RES_ID = l.SRC_RESOURCE_ID"
                        + " WHERE l.TARGET_RESOURCE_ID IN (SELECT t.RES_ID FROM HFJ_RESOURCE t"
                        + " WHERE t.RES_TYPE = :type AND t.FHIR_ID = :id)"
                        + " AND l.SOURCE_RESOURCE_TYPE NOT IN ('AuditEvent', 'Provenance')"
                        + " FETCH FIRST " + MOST_REFERRERS_READ + " ROWS ONLY")
                .setParameter("type", target.getResourceType())
                .setParameter("id", target.getIdPart())
                .getResultList();
        return rows.stream()
                .map(Object[].class::cast)
                .map(row -> new Referrer((String) row[0], (String) row[1], (String) row[2]))
                .toList();
    }

    /** A delete refused because something refers to the resource: 409, and not retried. */
    static final class Referenced extends BaseServerResponseException {

        private static final long serialVersionUID = 1L;

        private Referenced(IIdType target, Referrer referrer) {
            super(
                    409,
                    "Unable to delete " + target.toUnqualifiedVersionless().getValue() + ": " + referrer.type() + "/"
                            + referrer.id() + " refers to it (" + referrer.path() + "); the resource was not deleted."
                            + " Remove that reference first, or delete both in one transaction");
        }
    }
}
