package se.patientkontrakt.fhir.bulk;

import ca.uhn.fhir.batch2.api.IJobCoordinator;
import ca.uhn.fhir.batch2.jobs.export.BulkDataExportProvider;
import ca.uhn.fhir.batch2.model.JobInstance;
import ca.uhn.fhir.batch2.model.StatusEnum;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.rest.api.RequestTypeEnum;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueSeverity;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.RestProvider;

/**
 * HAPI's <a href="https://hl7.org/fhir/uv/bulkdata/export.html">Bulk Data export</a> operations on
 * this endpoint: {@code $export} at the system level, on {@code Patient} (all, or one) and on a
 * {@code Group} (a target group's members), by GET or by POST with a {@code Parameters} body, and
 * {@code $export-poll-status} to poll, fetch the manifest, or cancel ({@code DELETE}). HAPI's Batch2
 * job does the work and writes NDJSON files as {@code Binary} resources ({@link BulkExportFiles}
 * serves them). Which types an export may name, whose it is and what its answers carry are
 * {@link BulkExportRules}'; who may export at all is decided in {@code security/}, and each export is
 * logged in {@code audit/}.
 *
 * <p>Two answers of the status differ from HAPI's: {@code Retry-After} follows the job (HAPI says
 * 120 s, for a job that mostly takes a second or two), and a {@code DELETE} of a completed export
 * deletes it: the status and the files answer {@code 404} from then on, as the spec has it, and the
 * files (their stored versions too) and the job are removed in the background (HAPI answered
 * {@code 404} to the DELETE and kept both until they expired).
 */
@Component
class BulkExportOperations extends BulkDataExportProvider implements RestProvider {

    /** Never wait longer than this between polls: an export that runs long is still worth a look each minute. */
    static final long LONGEST_RETRY_AFTER = 60;

    private final IJobCoordinator jobs;
    private final BulkExportRetention retention;
    private final FhirContext fhirContext;

    BulkExportOperations(IJobCoordinator jobs, BulkExportRetention retention, FhirContext fhirContext) {
        this.jobs = jobs;
        this.retention = retention;
        this.fhirContext = fhirContext;
    }

    /** The job has been found to be this client's export already ({@link BulkExportRules}). */
    @Override
    public void exportPollStatus(IPrimitiveType<String> jobId, ServletRequestDetails request) throws IOException {
        List<String> ids = BulkExportRules.parameterValues(request, "_jobId");
        JobInstance job = ids.size() == 1 ? jobs.getInstance(ids.get(0)) : null;
        if (job != null
                && job.getStatus() == StatusEnum.COMPLETED
                && request.getRequestType() == RequestTypeEnum.DELETE) {
            deleteCompleted(job, request.getServletResponse());
            return;
        }
        super.exportPollStatus(jobId, request);
        HttpServletResponse response = request.getServletResponse();
        if (job != null
                && response.getStatus() == Constants.STATUS_HTTP_202_ACCEPTED
                && request.getRequestType() != RequestTypeEnum.DELETE
                && !response.isCommitted()) {
            response.setHeader(
                    Constants.HEADER_RETRY_AFTER,
                    Long.toString(retryAfterSeconds(
                            job.getStartTime(), job.getCreateTime(), job.getProgress(), Instant.now())));
        }
    }

    /**
     * Seconds until the next poll is worth it: the time HAPI's progress says is left, or, with no
     * progress yet, a quarter of the time the export has taken so far; at least 1, at most
     * {@link #LONGEST_RETRY_AFTER}. A young export is polled again within a second or two.
     */
    static long retryAfterSeconds(Date started, Date created, double progress, Instant now) {
        Date since = started != null ? started : created;
        long elapsed = since == null
                ? 0
                : Math.max(0, Duration.between(since.toInstant(), now).toSeconds());
        long estimate = progress > 0 && progress < 1 ? Math.round(elapsed * (1 - progress) / progress) : elapsed / 4;
        return Math.max(1, Math.min(LONGEST_RETRY_AFTER, estimate));
    }

    /**
     * Deletes the export at once and its files after the answer ({@link BulkExportRetention#delete});
     * answers {@code 202}, as the spec has it.
     */
    private void deleteCompleted(JobInstance job, HttpServletResponse response) throws IOException {
        retention.delete(job);
        OperationOutcome outcome = new OperationOutcome();
        outcome.addIssue()
                .setSeverity(IssueSeverity.INFORMATION)
                .setCode(IssueType.INFORMATIONAL)
                .setDiagnostics(
                        "The export '" + job.getInstanceId() + "' is deleted: its status and its files answer 404"
                                + " from now on, and the files are being removed from storage");
        response.setStatus(Constants.STATUS_HTTP_202_ACCEPTED);
        response.setContentType(Constants.CT_FHIR_JSON_NEW);
        fhirContext.newJsonParser().encodeResourceToWriter(outcome, response.getWriter());
        response.getWriter().close();
    }
}
