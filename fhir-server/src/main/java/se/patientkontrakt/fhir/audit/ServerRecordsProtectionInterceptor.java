package se.patientkontrakt.fhir.audit;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.AuditEvent;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.RestInterceptor;

/**
 * The access log is written by the server alone: no client creates, changes (PUT, PATCH) or
 * deletes an AuditEvent through the API, with or without a token and whatever its scopes, in a
 * plain call or inside a transaction. The server writes its own AuditEvents past the REST layer
 * ({@link AccessLogInterceptor}), so this guard does not see them.
 */
@Component
@Interceptor
class AccessLogProtectionInterceptor implements RestInterceptor {

    private static final String MESSAGE =
            "AuditEvents are the server's access log: they cannot be created, changed or deleted through the API";

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED, order = HookOrder.ACCESS + 10)
    void create(IBaseResource resource) {
        refuseAuditEvent(resource);
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED, order = HookOrder.ACCESS + 10)
    void update(IBaseResource previous, IBaseResource updated) {
        refuseAuditEvent(previous);
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_DELETED, order = HookOrder.ACCESS + 10)
    void delete(IBaseResource resource) {
        refuseAuditEvent(resource);
    }

    private static void refuseAuditEvent(IBaseResource resource) {
        if (resource instanceof AuditEvent) {
            throw new ForbiddenOperationException(MESSAGE);
        }
    }
}
