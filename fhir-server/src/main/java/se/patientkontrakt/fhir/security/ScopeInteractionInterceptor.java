package se.patientkontrakt.fhir.security;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RequestTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.security.SmartScope.Interaction;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.RestInterceptor;

/**
 * Tells create, update and delete apart, which HAPI's {@code write()} rule does not: a
 * {@code user/CarePlan.u} token may update a contract but not create one. A patient token creates
 * and deletes nothing; its updates are checked by {@link PatientOwnedChangesInterceptor}. Runs on
 * the storage hooks, so it applies to plain REST calls, PATCH, conditional writes and every entry
 * of a transaction alike.
 */
@Component
@AccessControlEnabled
@Interceptor
class ScopeInteractionInterceptor implements RestInterceptor {

    private final FhirContext fhirContext;

    ScopeInteractionInterceptor(FhirContext fhirContext) {
        this.fhirContext = fhirContext;
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED, order = HookOrder.ACCESS + 20)
    void create(IBaseResource resource, RequestDetails request) {
        require(request, resource, Interaction.CREATE, "create");
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED, order = HookOrder.ACCESS + 20)
    void update(IBaseResource previous, IBaseResource updated, RequestDetails request) {
        require(request, updated, Interaction.UPDATE, "update");
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_DELETED, order = HookOrder.ACCESS + 20)
    void delete(IBaseResource resource, RequestDetails request) {
        require(request, resource, Interaction.DELETE, "delete");
    }

    private void require(RequestDetails request, IBaseResource resource, Interaction interaction, String verb) {
        AccessToken token = AccessToken.of(request).orElse(null);
        if (token == null) {
            return;
        }
        String type = fhirContext.getResourceType(resource);
        if (token.patientToken()
                && interaction == Interaction.CREATE
                && request.getRequestType() == RequestTypeEnum.PUT) {
            // A PUT to an id that is not there: to a patient, as a PUT to one they may not see.
            throw PatientBoundary.notFound(resource.getIdElement());
        }
        if (token.patientToken() && interaction != Interaction.UPDATE) {
            throw new ForbiddenOperationException("A patient token may not " + verb + " resources; a patient"
                    + " changes only their agreement and their own actions in an approved contract");
        }
        if (!token.allows(type, interaction)) {
            throw new ForbiddenOperationException("The token has no scope that allows " + verb + " on " + type
                    + " (SMART '" + type + "." + interaction.letter() + "')");
        }
    }
}
