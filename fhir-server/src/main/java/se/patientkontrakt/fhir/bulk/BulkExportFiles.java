package se.patientkontrakt.fhir.bulk;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Read;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.IResourceProvider;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import org.hl7.fhir.r4.model.Binary;
import org.hl7.fhir.r4.model.IdType;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.RestProvider;

/**
 * The files of a Bulk Data export ({@code Binary}, NDJSON), read by id and only by the client that
 * started the export ({@link ExportOwner}). There is no search, history, create or change of a
 * Binary: the type is served for these downloads alone. A file of another client's export answers
 * exactly as one that does not exist ({@code 404}), so no client learns of another's exports.
 */
@Component
class BulkExportFiles implements IResourceProvider, RestProvider {

    private final DaoRegistry daoRegistry;

    BulkExportFiles(DaoRegistry daoRegistry) {
        this.daoRegistry = daoRegistry;
    }

    @Override
    public Class<Binary> getResourceType() {
        return Binary.class;
    }

    @Read
    public Binary read(@IdParam IdType id, RequestDetails request) {
        Binary file;
        try {
            // Read as the server: the owner is checked here, before anything is shown or logged.
            file = daoRegistry
                    .getResourceDao(Binary.class)
                    .read(new IdType("Binary", id.getIdPart()), new SystemRequestDetails());
        } catch (ResourceNotFoundException | ResourceGoneException e) {
            throw notFound(id);
        }
        if (!ExportOwner.of(request).owns(ExportOwner.of(file))) {
            throw notFound(id);
        }
        return file;
    }

    private static ResourceNotFoundException notFound(IdType id) {
        return new ResourceNotFoundException("Binary/" + id.getIdPart() + " is not known: no export file of this client"
                + " has that id (a file is kept for a limited time after its export completed)");
    }
}
