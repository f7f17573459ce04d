package se.patientkontrakt.fhir.bulk;

import ca.uhn.fhir.batch2.api.IJobCoordinator;
import ca.uhn.fhir.batch2.model.JobInstance;
import ca.uhn.fhir.batch2.model.StatusEnum;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Read;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.IResourceProvider;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import org.hl7.fhir.r4.model.Binary;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.IdType;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.RestProvider;

/**
 * The files of a Bulk Data export ({@code Binary}, NDJSON), read by id and only by the client that
 * started the export ({@link ExportOwner}). There is no search, history, create or change of a
 * Binary: the type is served for these downloads alone. A file of another client's export answers
 * exactly as one that does not exist ({@code 404}), so no client learns of another's exports; so
 * does a file of an export that is deleted or was cancelled.
 */
@Component
class BulkExportFiles implements IResourceProvider, RestProvider {

    /** Where HAPI names, on each file, the export that wrote it. */
    static final String JOB_ID = "https://hapifhir.org/NamingSystem/bulk-export-job-id";

    private final DaoRegistry daoRegistry;
    private final IJobCoordinator jobs;

    BulkExportFiles(DaoRegistry daoRegistry, IJobCoordinator jobs) {
        this.daoRegistry = daoRegistry;
        this.jobs = jobs;
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
        if (!ExportOwner.of(request).owns(ExportOwner.of(file)) || !ofACompleteExport(file)) {
            throw notFound(id);
        }
        return file;
    }

    /**
     * The file's export (HAPI names it on the file) is there and complete: not deleted by its client,
     * whose files are removed after the answer to the {@code DELETE}, nor cancelled halfway.
     */
    private boolean ofACompleteExport(Binary file) {
        Extension job = file.getMeta().getExtensionByUrl(JOB_ID);
        if (job == null || !job.hasValue()) {
            return false;
        }
        try {
            JobInstance export = jobs.getInstance(job.getValue().primitiveValue());
            return export != null && export.getStatus() == StatusEnum.COMPLETED;
        } catch (ResourceNotFoundException e) {
            return false;
        }
    }

    private static ResourceNotFoundException notFound(IdType id) {
        return new ResourceNotFoundException(
                "Binary/" + id.getIdPart() + " is not known: no export file of this client"
                        + " has that id (a file is kept for a limited time after its export completed, and not once the export is deleted)");
    }
}
