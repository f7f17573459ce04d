package se.patientkontrakt.fhir.server;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.storage.TransactionDetails;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.util.ResourceReferenceInfo;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.springframework.stereotype.Component;

/**
 * Refuses with 400 a resource written on its own (not in a transaction) that refers to a
 * placeholder ({@code urn:uuid:…}, {@code urn:oid:…}): such a reference names an entry of a
 * transaction Bundle and means nothing outside one. Stored, it would point nowhere (and HAPI's
 * compartment look-ups fail on it, which answered 500). Inside a transaction HAPI resolves
 * placeholders itself and refuses those that name no entry.
 */
@Component
@Interceptor
class PlaceholderReferencesInterceptor implements StorageInterceptor {

    private final FhirContext fhirContext;

    PlaceholderReferencesInterceptor(FhirContext fhirContext) {
        this.fhirContext = fhirContext;
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED, order = HookOrder.CONTENT + 2)
    void beforeCreate(IBaseResource resource, TransactionDetails transaction) {
        refusePlaceholders(resource, transaction);
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED, order = HookOrder.CONTENT + 2)
    void beforeUpdate(IBaseResource previous, IBaseResource resource, TransactionDetails transaction) {
        refusePlaceholders(resource, transaction);
    }

    private void refusePlaceholders(IBaseResource resource, TransactionDetails transaction) {
        if (transaction != null && transaction.isFhirTransaction()) {
            return;
        }
        for (ResourceReferenceInfo reference : fhirContext.newTerser().getAllResourceReferences(resource)) {
            String value =
                    reference.getResourceReference().getReferenceElement().getValue();
            if (value != null && (value.startsWith("urn:uuid:") || value.startsWith("urn:oid:"))) {
                String path = fhirContext.getResourceType(resource) + "." + reference.getName();
                String message = "The reference " + value + " at " + path
                        + " names an entry of a transaction Bundle, and this resource was not sent in one: refer to"
                        + " a stored resource (Type/id) instead";
                InvalidRequestException refusal = new InvalidRequestException(message);
                refusal.setOperationOutcome(OperationOutcomeWriter.error(IssueType.INVALID, message, path));
                throw refusal;
            }
        }
    }
}
