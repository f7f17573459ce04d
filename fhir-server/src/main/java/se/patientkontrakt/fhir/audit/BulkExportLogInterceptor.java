package se.patientkontrakt.fhir.audit;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.model.DaoMethodOutcome;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.api.server.bulk.BulkExportJobParameters;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAction;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventEntityComponent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventOutcome;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.StringType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.security.AccessControlEnabled;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.RestInterceptor;

/**
 * One access-log entry per Bulk Data export, written when it is started
 * ({@code STORAGE_INITIATE_BULK_EXPORT}, once access and the parameters are checked, before the job
 * is queued): an export reads many patients' data at once, in the background, and its files can be
 * fetched until they expire, so the entry records what was asked for and by whom, not each
 * patient's resources. If the entry cannot be written, the export does not start.
 *
 * <p>Written as the access log writes its entries ({@link AccessLogInterceptor}: the token's subject
 * and client, the caller's address), with type DICOM {@code 110106} <em>Export</em> (as a
 * notification's entry, {@link DeliveryLogInterceptor}); its entities: a query ({@code object-role}
 * 24) naming the level, {@code _type}, {@code _since}, {@code _until}, {@code _typeFilter} and the
 * request as sent;
 * for a Group export the Group; for a Patient export of named patients each of them (so a patient
 * finds it among the entries about them). An export of every patient (system level,
 * {@code Patient/$export}) names no patient one by one. Once the job is queued, its id is added
 * ({@link #nameTheJob}).
 */
@Component
@AccessControlEnabled
@Interceptor
class BulkExportLogInterceptor implements RestInterceptor {

    private static final Logger LOG = LoggerFactory.getLogger(BulkExportLogInterceptor.class);

    /** The entry written for this request's export, until its job id is known. */
    private static final String WRITTEN = BulkExportLogInterceptor.class.getName() + ".written";

    private static final String JOB_ID = "_jobId=";

    private final DaoRegistry daoRegistry;

    BulkExportLogInterceptor(DaoRegistry daoRegistry) {
        this.daoRegistry = daoRegistry;
    }

    @Hook(value = Pointcut.STORAGE_INITIATE_BULK_EXPORT, order = HookOrder.EFFECTS + 10)
    void logExport(BulkExportJobParameters parameters, RequestDetails request) {
        List<String> patients = parameters.getPatientIds().stream()
                .map(id -> new IdType(id).toUnqualifiedVersionless())
                .map(id -> "Patient/" + id.getIdPart())
                .toList();
        String first = patients.isEmpty() ? null : patients.get(0);
        AuditEvent event = AccessLogInterceptor.event(
                request,
                AuditEventAction.E,
                "operation",
                first,
                Set.of(),
                reference -> true,
                AuditEventOutcome._0,
                null);
        event.setType(new Coding(AccessLogInterceptor.DCM, "110106", "Export"));
        for (String patient : patients.subList(Math.min(1, patients.size()), patients.size())) {
            event.addEntity()
                    .setWhat(new Reference(patient))
                    .setType(new Coding(AccessLogInterceptor.ENTITY_TYPE, "1", "Person"))
                    .setRole(new Coding(AccessLogInterceptor.OBJECT_ROLE, "1", "Patient"));
        }
        if (parameters.getGroupId() != null) {
            event.addEntity()
                    .setWhat(new Reference("Group/" + new IdType(parameters.getGroupId()).getIdPart()))
                    .setType(new Coding(AccessLogInterceptor.ENTITY_TYPE, "2", "System Object"))
                    .setRole(new Coding(AccessLogInterceptor.OBJECT_ROLE, "4", "Domain Resource"))
                    .setDescription("the target group whose members' data is exported");
        }
        event.addEntity(query(parameters));
        DaoMethodOutcome created =
                daoRegistry.getResourceDao(AuditEvent.class).create(event, new SystemRequestDetails());
        request.getUserData().put(WRITTEN, created.getId().toUnqualifiedVersionless());
    }

    /**
     * The job id is known once HAPI has queued the job, after the entry above is written: the entry
     * is updated with it (an entity in the role {@code 20} <em>Job</em>, its {@code name} the job id),
     * so the client, or an auditor, finds the entry by the id of the status URL. The export has started
     * by now and its entry exists; if the update fails, the entry stays as it was written, without
     * the id, and the failure is logged.
     */
    @Hook(value = Pointcut.SERVER_PROCESSING_COMPLETED_NORMALLY, order = HookOrder.EFFECTS + 10)
    void nameTheJob(RequestDetails request, ServletRequestDetails servlet) {
        if (!(request.getUserData().get(WRITTEN) instanceof IIdType written) || servlet.getServletResponse() == null) {
            return;
        }
        String location = servlet.getServletResponse().getHeader("Content-Location");
        int at = location == null ? -1 : location.indexOf(JOB_ID);
        if (at < 0) {
            return;
        }
        String jobId = location.substring(at + JOB_ID.length());
        try {
            AuditEvent event = daoRegistry.getResourceDao(AuditEvent.class).read(written, new SystemRequestDetails());
            event.addEntity()
                    .setWhat(new Reference().setIdentifier(new Identifier().setValue(jobId)))
                    .setType(new Coding(AccessLogInterceptor.ENTITY_TYPE, "2", "System Object"))
                    .setRole(new Coding(AccessLogInterceptor.OBJECT_ROLE, "20", "Job"))
                    .setName(jobId)
                    .setDescription("the export's job: its status at $export-poll-status?_jobId=" + jobId);
            daoRegistry.getResourceDao(AuditEvent.class).update(event, new SystemRequestDetails());
        } catch (RuntimeException e) {
            LOG.error(
                    "The export {} started and is logged in {}, but its job id could not be added there",
                    jobId,
                    written.getValue(),
                    e);
        }
    }

    /** What the export holds, as asked: level, types, since, filters, and the request itself. */
    private static AuditEventEntityComponent query(BulkExportJobParameters parameters) {
        String level =
                switch (parameters.getExportStyle()) {
                    case SYSTEM -> "system";
                    case PATIENT -> parameters.getPatientIds().isEmpty() ? "patient (every patient)" : "patient";
                    case GROUP -> "group";
                };
        AuditEventEntityComponent query = new AuditEventEntityComponent()
                .setType(new Coding(AccessLogInterceptor.ENTITY_TYPE, "2", "System Object"))
                .setRole(new Coding(AccessLogInterceptor.OBJECT_ROLE, "24", "Query"))
                .setName("Bulk Data export, " + level + " level")
                .setDescription("$export of " + String.join(", ", parameters.getResourceTypes()));
        if (parameters.getOriginalRequestUrl() != null) {
            query.setQuery(parameters.getOriginalRequestUrl().getBytes(StandardCharsets.UTF_8));
        }
        query.addDetail().setType("level").setValue(new StringType(level));
        query.addDetail().setType("_type").setValue(new StringType(String.join(",", parameters.getResourceTypes())));
        if (parameters.getSince() != null) {
            query.addDetail()
                    .setType("_since")
                    .setValue(new StringType(new InstantType(parameters.getSince()).getValueAsString()));
        }
        if (parameters.getUntil() != null) {
            query.addDetail()
                    .setType("_until")
                    .setValue(new StringType(new InstantType(parameters.getUntil()).getValueAsString()));
        }
        for (String filter : parameters.getFilters()) {
            query.addDetail().setType("_typeFilter").setValue(new StringType(filter));
        }
        return query;
    }
}
