package se.patientkontrakt.fhir.server;

import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.OperationDefinition;

/**
 * HAPI's JPA CapabilityStatement, able to hand out the OperationDefinitions we publish.
 * {@link CapabilityStatementInterceptor} points our operations at their definitions in
 * {@code profiles/}; HAPI's OpenAPI generator then asks this provider for such a definition by id,
 * and HAPI knows only the ones it generated itself, so the stored one is read instead.
 *
 * <p>It is read as the server, not as the caller: the definition describes the server, as the
 * CapabilityStatement that names it does, and both are public ({@code /fhir/metadata},
 * {@code /fhir/api-docs}). Read under the caller's request, the access rules saw a read inside a
 * request that is no FHIR interaction at all ({@code GET /fhir/api-docs} has no operation type),
 * HAPI's authorization interceptor failed on it with a NullPointerException, and the OpenAPI
 * description answered 500 to everyone once access control was on.
 */
class CapabilityStatementProvider extends JpaCapabilityStatementProvider {

    private final DaoRegistry daoRegistry;

    CapabilityStatementProvider(
            RestfulServer server,
            IFhirSystemDao<?, ?> systemDao,
            JpaStorageSettings storageSettings,
            ISearchParamRegistry searchParamRegistry,
            IValidationSupport validationSupport,
            DaoRegistry daoRegistry) {
        super(server, systemDao, storageSettings, searchParamRegistry, validationSupport);
        this.daoRegistry = daoRegistry;
    }

    @Override
    public IBaseResource readOperationDefinition(IIdType id, RequestDetails request) {
        try {
            return super.readOperationDefinition(id, request);
        } catch (ResourceNotFoundException generatedUnknown) {
            return daoRegistry
                    .getResourceDao(OperationDefinition.class)
                    .read(new IdType("OperationDefinition", id.getIdPart()), new SystemRequestDetails());
        }
    }
}
