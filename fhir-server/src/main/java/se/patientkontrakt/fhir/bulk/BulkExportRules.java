package se.patientkontrakt.fhir.bulk;

import ca.uhn.fhir.batch2.api.IJobCoordinator;
import ca.uhn.fhir.batch2.api.IJobMaintenanceService;
import ca.uhn.fhir.batch2.model.JobInstance;
import ca.uhn.fhir.batch2.model.StatusEnum;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.rest.api.RequestTypeEnum;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.IPreResourceShowDetails;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.bulk.BulkExportJobParameters;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import ca.uhn.fhir.util.Batch2JobDefinitionConstants;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.Binary;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.hl7.fhir.r4.model.Parameters;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.security.AccessToken;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.OperationOutcomeWriter;
import se.patientkontrakt.fhir.server.RestInterceptor;
import se.patientkontrakt.fhir.server.ServedResourceTypes;

/**
 * What a Bulk Data export may be, and whose it is, on top of HAPI's own {@code $export}
 * ({@link BulkExportOperations}), with or without access control.
 *
 * <ul>
 *   <li>{@code STORAGE_PRE_INITIATE_BULK_EXPORT}, before the job starts: {@code _type} and
 *       {@code _typeFilter} name only types this service exports (the served types, but not
 *       {@code Subscription}, which belongs to the token that made it); without {@code _type}, the
 *       patients' data, the directory and the target groups the token reads (HAPI would take every
 *       type it stores); {@code _outputFormat} is NDJSON; {@code _mdm} is refused; and the export is
 *       stamped with its client ({@link ExportOwner}), which HAPI writes on every file.
 *   <li>{@code SERVER_INCOMING_REQUEST_POST_PROCESSED}: {@code patient} in a kick-off's query is
 *       refused, naming where it goes.
 *   <li>{@code SERVER_INCOMING_REQUEST_PRE_HANDLED}, on {@code $export-poll-status}: an export of
 *       another client, a job that is no export, and an id no job has all answer {@code 404} alike;
 *       a cancelled export answers {@code 404} (the spec's answer after a DELETE, where HAPI would
 *       still say it is in progress); a complete one carries {@code Expires}, when HAPI deletes its
 *       files. On {@code $export}: {@code Prefer: respond-async}, and {@code patient} only in a POST's
 *       body on {@code Patient/$export}. And a Bulk Data request inside a batch or transaction is
 *       refused: its answer is headers, which a Bundle entry cannot carry.
 * </ul>
 *
 * @see <a href="https://hl7.org/fhir/uv/bulkdata/export.html">Bulk Data Access: export</a>
 */
@Component
@Interceptor
class BulkExportRules implements RestInterceptor {

    static final String EXPORT = "$export";
    static final String POLL_STATUS = "$export-poll-status";

    /** What an export holds when it names no {@code _type}: the data a warehouse joins with care use. */
    static final Set<String> DEFAULT_TYPES = Set.of(
            "Patient",
            "RelatedPerson",
            "CarePlan",
            "CareTeam",
            "Goal",
            "Consent",
            "Provenance",
            "Group",
            "Practitioner",
            "PractitionerRole",
            "Organization",
            "Location",
            "HealthcareService");

    /** Where a query of {@code _typeFilter} starts: a resource type and {@code ?}. */
    private static final Pattern QUERY_START = Pattern.compile("[A-Z][A-Za-z]+\\?");

    /** Served, but never exported: a Subscription is its own token's alone. */
    private static final Set<String> NOT_EXPORTED = Set.of("Subscription", "Binary");

    private static final Set<String> OUTPUT_FORMATS = Set.of("application/fhir+ndjson", "application/ndjson", "ndjson");

    private static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9\\-]{1,64}");

    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

    private final Set<String> exported;
    private final IJobCoordinator jobs;
    private final IJobMaintenanceService maintenance;
    private final JpaStorageSettings storageSettings;

    BulkExportRules(
            ServedResourceTypes served,
            IJobCoordinator jobs,
            IJobMaintenanceService maintenance,
            JpaStorageSettings storageSettings) {
        Set<String> types = new TreeSet<>(served.types());
        types.removeAll(NOT_EXPORTED);
        this.exported = Set.copyOf(types);
        this.jobs = jobs;
        this.maintenance = maintenance;
        this.storageSettings = storageSettings;
    }

    @Hook(value = Pointcut.STORAGE_PRE_INITIATE_BULK_EXPORT, order = HookOrder.CONTENT + 10)
    void beforeTheExportStarts(BulkExportJobParameters parameters, RequestDetails request) {
        if (!parameterValues(request, "_mdm").isEmpty()) {
            throw invalid(
                    "_mdm",
                    "_mdm is not supported: this service holds one record per patient, with nothing" + " to link");
        }
        List<String> named = parameterValues(request, "_type");
        if (named.isEmpty()) {
            Optional<AccessToken> token = AccessToken.of(request);
            // HAPI has filled in every type it may export at this level; keep the default ones the
            // token reads.
            parameters.setResourceTypes(parameters.getResourceTypes().stream()
                    .filter(DEFAULT_TYPES::contains)
                    .filter(exported::contains)
                    .filter(type -> token.isEmpty() || token.get().mayRead(type))
                    .sorted()
                    .toList());
        } else {
            for (String type : named) {
                if (!exported.contains(type)) {
                    throw invalid(
                            "_type",
                            "_type names '" + type + "', which this service does not export; it exports "
                                    + String.join(", ", new TreeSet<>(exported)));
                }
            }
        }
        for (String value : parameterValues(request, "_typeFilter")) {
            refuseAmbiguousFilters(value);
        }
        for (String filter : parameters.getFilters()) {
            String type = filter.contains("?") ? filter.substring(0, filter.indexOf('?')) : "";
            if (!parameters.getResourceTypes().contains(type)) {
                throw invalid(
                        "_typeFilter",
                        "_typeFilter '" + filter + "' must start with one of the types exported ("
                                + String.join(", ", parameters.getResourceTypes()) + ") and '?'");
            }
        }
        String format = parameters.getOutputFormat();
        if (format != null && !OUTPUT_FORMATS.contains(format)) {
            throw invalid(
                    "_outputFormat",
                    "_outputFormat '" + format + "' is not supported; use application/fhir+ndjson (or"
                            + " application/ndjson, ndjson)");
        }
        parameters.setOutputFormat("application/fhir+ndjson");
        ExportOwner.of(request).stamp(parameters);
    }

    @Hook(value = Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED, order = HookOrder.CONTENT + 10)
    void beforePollOrBundle(RequestDetails request, RestOperationTypeEnum operation) {
        if ((operation == RestOperationTypeEnum.TRANSACTION || operation == RestOperationTypeEnum.BATCH)
                && request.getResource() instanceof Bundle bundle) {
            refuseInBundles(bundle);
            return;
        }
        if (POLL_STATUS.equals(request.getOperation())) {
            checkPoll(request);
        } else if (EXPORT.equals(request.getOperation())) {
            requireAsync(request);
            checkPatient(request);
        }
    }

    /**
     * {@code patient} in a kick-off's query: refused here, before HAPI reads the operation's
     * parameters (which comes before {@code SERVER_INCOMING_REQUEST_PRE_HANDLED}, and answered
     * {@code 405} for it on {@code Patient/$export}).
     */
    @Hook(value = Pointcut.SERVER_INCOMING_REQUEST_POST_PROCESSED, order = HookOrder.CONTENT + 15)
    void refusePatientInAQuery(RequestDetails request) {
        if (EXPORT.equals(request.getOperation())) {
            checkPatient(request);
        }
    }

    /**
     * {@code patient} names patients of a {@code Patient/$export}, as references in a POST kick-off's
     * {@code Parameters} body: HAPI reads it nowhere else.
     */
    private static void checkPatient(RequestDetails request) {
        boolean named = request.getParameters().containsKey("patient")
                || (request.getResource() instanceof Parameters body && body.getParameter("patient") != null);
        if (!named) {
            return;
        }
        if (!"Patient".equals(request.getResourceName()) || request.getId() != null) {
            throw invalid(
                    "patient",
                    "patient is a parameter of Patient/" + EXPORT + " only (" + request.getRequestPath() + " names"
                            + " its patients by its level)");
        }
        if (request.getParameters().containsKey("patient")) {
            throw invalid(
                    "patient",
                    "patient is sent in the Parameters body of a POST kick-off, one valueReference"
                            + " (Patient/<id>) each, not in the query");
        }
    }

    /**
     * An export's files are read by id, by their owner, through {@link BulkExportFiles}, which reads
     * them as the server and shows nothing else. Any other way storage would show one (the server's
     * history, a search across types) leaves out every file that is not the caller's.
     */
    @Hook(value = Pointcut.STORAGE_PRESHOW_RESOURCES, order = HookOrder.ACCESS + 15)
    void showOnlyOwnFiles(IPreResourceShowDetails details, RequestDetails request) {
        ExportOwner caller = null;
        for (int i = 0; i < details.size(); i++) {
            if (details.getResource(i) instanceof Binary file) {
                caller = caller == null ? ExportOwner.of(request) : caller;
                if (!caller.owns(ExportOwner.of(file))) {
                    details.setResource(i, null);
                }
            }
        }
    }

    /**
     * HAPI queues a new job until its next maintenance pass (once a minute); start the pass now, so
     * the export begins at once. Its later steps follow by themselves (fast tracking, {@code hapi/JpaConfig}).
     */
    @Hook(value = Pointcut.SERVER_PROCESSING_COMPLETED_NORMALLY, order = HookOrder.EFFECTS + 20)
    void startQueuedExports(RequestDetails request) {
        if (EXPORT.equals(request.getOperation())) {
            maintenance.triggerMaintenancePass();
        }
    }

    /** An export is asynchronous only: HAPI refuses without the header too, without saying which one. */
    private static void requireAsync(RequestDetails request) {
        List<String> prefer = request.getHeaders("Prefer");
        if (prefer == null || prefer.stream().noneMatch(value -> value.contains("respond-async"))) {
            throw invalid(
                    "Prefer",
                    EXPORT + " runs asynchronously: send the header 'Prefer: respond-async', then poll the"
                            + " Content-Location of the 202 answer");
        }
    }

    private void checkPoll(RequestDetails request) {
        List<String> ids = parameterValues(request, "_jobId");
        if (ids.size() != 1) {
            throw invalid("_jobId", POLL_STATUS + " needs one _jobId: the export's id in its Content-Location");
        }
        String id = ids.get(0);
        JobInstance job = ownExport(id, request)
                .orElseThrow(() -> new ResourceNotFoundException("No export of this" + " client has the id '"
                        + (JOB_ID.matcher(id).matches() ? id : "…") + "'"));
        if (!job.getStatus().isEnded()) {
            maintenance.triggerMaintenancePass();
        }
        if (job.getStatus() == StatusEnum.CANCELLED) {
            throw new ResourceNotFoundException("The export '" + id + "' was cancelled or deleted");
        }
        if (job.getStatus() == StatusEnum.COMPLETED
                && request.getRequestType() != RequestTypeEnum.DELETE
                && job.getEndTime() != null
                && request instanceof ServletRequestDetails servlet
                && servlet.getServletResponse() != null) {
            Duration kept = Duration.ofHours(storageSettings.getBulkExportFileRetentionPeriodHours());
            servlet.getServletResponse()
                    .setHeader(
                            "Expires",
                            HTTP_DATE.format(job.getEndTime().toInstant().plus(kept)));
        }
    }

    /** The job, if it exists, is an export, and is this client's; otherwise nothing, whichever it is. */
    private Optional<JobInstance> ownExport(String id, RequestDetails request) {
        if (!JOB_ID.matcher(id).matches()) {
            return Optional.empty();
        }
        JobInstance job;
        try {
            job = jobs.getInstance(id);
        } catch (BaseServerResponseException e) {
            return Optional.empty();
        }
        if (job == null || !Batch2JobDefinitionConstants.BULK_EXPORT.equals(job.getJobDefinitionId())) {
            return Optional.empty();
        }
        ExportOwner owner = ExportOwner.of(job.getParameters(BulkExportJobParameters.class));
        return ExportOwner.of(request).owns(owner) ? Optional.of(job) : Optional.empty();
    }

    private static void refuseInBundles(Bundle bundle) {
        for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
            String url = entry.getRequest().getUrl() == null
                    ? ""
                    : entry.getRequest().getUrl();
            String path = url.contains("?") ? url.substring(0, url.indexOf('?')) : url;
            if (Arrays.stream(path.split("/")).anyMatch(part -> part.equals(EXPORT) || part.equals(POLL_STATUS))) {
                throw new InvalidRequestException("Bulk Data requests (" + EXPORT + ", " + POLL_STATUS + ") are sent"
                        + " on their own, not as an entry of a batch or transaction: their answer is in headers");
            }
        }
    }

    /**
     * One {@code _typeFilter} value that joins several queries with commas, one of which holds a
     * comma itself ({@code CarePlan?_id=a,b,CareTeam?_id=c}): which comma ends a query cannot be
     * told, and HAPI exported every CareTeam for it, though one was asked for (found by {@code
     * BulkExportRoundTripIT}). Refused, rather than exporting more than was asked; a query with a
     * comma of its own goes in a {@code _typeFilter} of its own.
     */
    private static void refuseAmbiguousFilters(String value) {
        String[] pieces = value.split(",");
        long queries = Arrays.stream(pieces)
                .filter(piece -> QUERY_START.matcher(piece).lookingAt())
                .count();
        if (queries > 1 && queries < pieces.length) {
            throw invalid(
                    "_typeFilter",
                    "_typeFilter '" + value + "' joins several queries with commas and one of them holds a comma"
                            + " of its own, which cannot be told apart: give each query a _typeFilter parameter"
                            + " of its own (…&_typeFilter=CarePlan?_id=a,b&_typeFilter=CareTeam?_id=c)");
        }
    }

    /** A parameter's values from the query, or from a {@code Parameters} body (a POST kick-off or poll). */
    static List<String> parameterValues(RequestDetails request, String name) {
        List<String> values = new ArrayList<>();
        String[] query = request.getParameters().get(name);
        if (query != null) {
            Arrays.stream(query).forEach(value -> values.add(value));
        }
        if (request.getResource() instanceof Parameters body) {
            body.getParameter().stream()
                    .filter(p -> name.equals(p.getName()) && p.getValue() != null)
                    .forEach(p -> values.add(p.getValue().primitiveValue()));
        }
        Set<String> split = new LinkedHashSet<>();
        for (String value : values) {
            if (value == null) {
                continue;
            }
            if ("_type".equals(name)) {
                Arrays.stream(value.split(","))
                        .map(String::trim)
                        .filter(s -> !s.isEmpty())
                        .forEach(split::add);
            } else {
                split.add(value);
            }
        }
        return List.copyOf(split);
    }

    /** 400, the parameter named in the OperationOutcome's {@code location} as R4 names one: {@code http.} + its name. */
    private static InvalidRequestException invalid(String parameter, String message) {
        return new InvalidRequestException(
                message,
                new OperationOutcome()
                        .addIssue(OperationOutcomeWriter.issue(IssueType.INVALID, message, null)
                                .addLocation("http." + parameter)));
    }
}
