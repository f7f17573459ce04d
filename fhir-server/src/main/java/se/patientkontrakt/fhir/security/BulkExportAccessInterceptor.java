package se.patientkontrakt.fhir.security;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.bulk.BulkExportJobParameters;
import ca.uhn.fhir.rest.api.server.bulk.BulkExportJobParameters.ExportStyle;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import java.util.Optional;
import java.util.Set;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.RestInterceptor;

/**
 * A Bulk Data export ({@code $export}, its status and its files) is for the region's region-wide
 * clients ({@code patientkontrakt.pdl.region-wide-clients}) with a {@code system/} token, and
 * holds only types the token's scopes read. Every other token is refused with 403 before anything is
 * read: a patient's, a person's in care ({@code user/}), and a care giver's system. Patientdatalagen
 * weighs a care giver's reads one patient at a time ({@link CareView}: care relationship, samtycke,
 * spärr), which a file of thousands of patients' data written in the background cannot be; an
 * export is therefore offered only where those rules do not apply, to the region-wide clients.
 *
 * <p>Hooks {@code SERVER_INCOMING_REQUEST_POST_PROCESSED} (who) and
 * {@code STORAGE_INITIATE_BULK_EXPORT} (which types, once the export's types are known: named in
 * {@code _type}, or the default). Whose an export is, is {@code bulk/}'s to check.
 *
 * @see <a href="https://hl7.org/fhir/uv/bulkdata/authorization.html">Bulk Data: SMART backend services</a>
 */
@Component
@AccessControlEnabled
@Interceptor
class BulkExportAccessInterceptor implements RestInterceptor {

    static final Set<String> OPERATIONS = Set.of("$export", "$export-poll-status");

    /** The export's files, the one use of Binary on this server. */
    static final String FILES = "Binary";

    @Hook(value = Pointcut.SERVER_INCOMING_REQUEST_POST_PROCESSED, order = HookOrder.ACCESS + 6)
    void onlyRegionWideSystems(RequestDetails request) {
        boolean export = request.getOperation() != null && OPERATIONS.contains(request.getOperation());
        if (!export && !FILES.equals(request.getResourceName())) {
            return;
        }
        Optional<AccessToken> token = AccessToken.of(request);
        if (token.isEmpty()) {
            return; // SmartAuthorizationInterceptor refuses a request without a token
        }
        if (!mayExport(token.get())) {
            throw new ForbiddenOperationException(whoItIs(token.get()) + " exports nothing: Bulk Data export ($export,"
                    + " its status and files) is for the region's region-wide clients"
                    + " (patientkontrakt.pdl.region-wide-clients) with system/ scopes. A care giver's reads are"
                    + " weighed patient by patient under Patientdatalagen, which an export cannot be");
        }
    }

    @Hook(value = Pointcut.STORAGE_INITIATE_BULK_EXPORT, order = HookOrder.ACCESS + 10)
    void onlyWhatTheScopesRead(BulkExportJobParameters parameters, RequestDetails request) {
        Optional<AccessToken> token = AccessToken.of(request);
        if (token.isEmpty()) {
            return;
        }
        if (parameters.getResourceTypes().isEmpty()) {
            throw new ForbiddenOperationException(
                    "The token's scopes read none of the types an export holds: name them with _type, and ask for"
                            + " system/<type>.rs (or .read) scopes");
        }
        for (String type : parameters.getResourceTypes()) {
            if (!token.get().mayRead(type)) {
                throw new ForbiddenOperationException("The export names " + type + ", which the token's scopes do"
                        + " not read (system/" + type + ".rs or system/" + type + ".read)");
            }
        }
        if (parameters.getExportStyle() == ExportStyle.GROUP && !token.get().mayRead("Group")) {
            throw new ForbiddenOperationException(
                    "An export of a Group's members reads the Group: the token's scopes do not read Group");
        }
    }

    static boolean mayExport(AccessToken token) {
        return token.regionWide() && token.systemOnly();
    }

    private static String whoItIs(AccessToken token) {
        if (token.patientToken()) {
            return "A patient token";
        }
        if (!token.systemOnly()) {
            return "A token of a person (user/ scopes)";
        }
        return "A care giver's system token";
    }
}
