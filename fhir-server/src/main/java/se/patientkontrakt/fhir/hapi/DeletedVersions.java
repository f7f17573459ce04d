package se.patientkontrakt.fhir.hapi;

import ca.uhn.fhir.jpa.api.model.ExpungeOptions;
import ca.uhn.fhir.jpa.dao.expunge.ExpungeService;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import org.springframework.stereotype.Component;

/**
 * Expunges, from the server itself, every stored version of resources of one type that are deleted:
 * HAPI's type-level expunge, called on its {@link ExpungeService} directly, since this server turns
 * expunging off ({@code JpaConfig}) so that no client may {@code $expunge} what it holds, and HAPI's
 * DAO refuses it then. Used for export files alone ({@code bulk/BulkExportRetention}).
 */
@Component
public class DeletedVersions {

    private final ExpungeService expungeService;

    DeletedVersions(ExpungeService expungeService) {
        this.expungeService = expungeService;
    }

    /**
     * Expunges up to {@code resources} deleted resources of {@code type} with all their versions;
     * answers how many versions went.
     */
    public int expunge(String type, int resources) {
        return expungeService
                .expunge(
                        type,
                        null,
                        new ExpungeOptions().setExpungeDeletedResources(true).setLimit(resources),
                        new SystemRequestDetails())
                .getDeletedCount();
    }
}
