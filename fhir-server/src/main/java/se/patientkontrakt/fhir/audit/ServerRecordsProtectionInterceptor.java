package se.patientkontrakt.fhir.audit;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Provenance;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.RestInterceptor;

/**
 * The server's records are written by the server alone: no client creates, changes (PUT, PATCH)
 * or deletes an AuditEvent (the access log) or a Provenance (who wrote what) through the API, with
 * or without a token and whatever its scopes, in a plain call or inside a transaction. The server
 * writes its own records past the REST layer ({@link AccessLogInterceptor},
 * {@code ownership/ProvenanceRecorder}), so this guard does not see them.
 */
@Component
@Interceptor
class ServerRecordsProtectionInterceptor implements RestInterceptor {

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED, order = HookOrder.ACCESS + 10)
    void create(IBaseResource resource) {
        refuseRecords(resource);
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED, order = HookOrder.ACCESS + 10)
    void update(IBaseResource previous, IBaseResource updated) {
        refuseRecords(previous);
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_DELETED, order = HookOrder.ACCESS + 10)
    void delete(IBaseResource resource) {
        refuseRecords(resource);
    }

    private static void refuseRecords(IBaseResource resource) {
        if (resource instanceof AuditEvent) {
            throw new ForbiddenOperationException("AuditEvents are the server's access log: they cannot be created,"
                    + " changed or deleted through the API");
        }
        if (resource instanceof Provenance) {
            throw new ForbiddenOperationException("Provenance is the server's record of who wrote what: it cannot be"
                    + " created, changed or deleted through the API");
        }
    }
}
