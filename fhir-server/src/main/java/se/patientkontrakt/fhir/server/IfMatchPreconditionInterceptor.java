package se.patientkontrakt.fhir.server;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.model.ResourceVersionConflictResolutionStrategy;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.rest.api.RequestTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.ResponseDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.PreconditionFailedException;
import ca.uhn.fhir.rest.server.exceptions.ResourceVersionConflictException;
import jakarta.servlet.http.HttpServletResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.springframework.stereotype.Component;

/**
 * Versioned updates and deletes as the FHIR spec defines them
 * (<a href="https://hl7.org/fhir/R4/http.html#concurrency">http.html#concurrency</a>): a request
 * whose {@code If-Match} names a version that is no longer current fails with
 * <b>412 Precondition Failed</b> and changes nothing.
 *
 * <p>HAPI JPA answers a stale {@code If-Match} on update with 409 (its version-conflict
 * exception), and ignores {@code If-Match} on delete altogether. The first hook turns the 409
 * into 412 when the client sent {@code If-Match}; the second checks the version before a delete
 * is stored ({@code STORAGE_PRESTORAGE_RESOURCE_DELETED} runs inside the delete's transaction, so
 * throwing there rolls it back). HAPI also leaves the {@code ETag} off a PATCH response, so a
 * portal could not send its next change with {@code If-Match} without reading again; the third
 * hook adds it, as for an update.
 *
 * <p>The other side: a write <em>without</em> {@code If-Match} asked for no version check, so a
 * concurrent write to the same resource (say the server activating a Subscription while its
 * client deletes it) must not fail it with 409; HAPI is asked to retry it on the new version.
 */
@Component
@Interceptor
class IfMatchPreconditionInterceptor implements RestInterceptor {

    /**
     * Each round of colliding writes has one winner, so with n clients writing one resource at
     * once the last needs n - 1 retries; HAPI waits a random 0-250 ms times the round between
     * them. Three were not enough for six writers once H2 wrote each commit to disk.
     */
    private static final int UNCONDITIONAL_WRITE_RETRIES = 10;

    private static final Pattern VERSION = Pattern.compile("^(?:W/)?\"?([^\"]+)\"?$");

    @Hook(value = Pointcut.SERVER_PRE_PROCESS_OUTGOING_EXCEPTION, order = HookOrder.CONTENT + 20)
    BaseServerResponseException staleVersionIsPreconditionFailure(RequestDetails request, Throwable exception) {
        if (exception instanceof ResourceVersionConflictException conflict
                && request.getHeader(Constants.HEADER_IF_MATCH) != null) {
            PreconditionFailedException failed = new PreconditionFailedException(conflict.getMessage());
            failed.setOperationOutcome(conflict.getOperationOutcome());
            return failed;
        }
        return null;
    }

    @Hook(value = Pointcut.STORAGE_VERSION_CONFLICT, order = HookOrder.CONTENT + 10)
    ResourceVersionConflictResolutionStrategy retryUnconditionalWrites(RequestDetails request) {
        ResourceVersionConflictResolutionStrategy strategy = new ResourceVersionConflictResolutionStrategy();
        if (request != null && request.getHeader(Constants.HEADER_IF_MATCH) == null) {
            strategy.setRetry(true);
            strategy.setMaxRetries(UNCONDITIONAL_WRITE_RETRIES);
        }
        return strategy;
    }

    @Hook(value = Pointcut.SERVER_OUTGOING_RESPONSE, order = HookOrder.PRESENTATION + 20)
    void etagOnPatch(RequestDetails request, ResponseDetails response, HttpServletResponse servletResponse) {
        if (request.getRequestType() != RequestTypeEnum.PATCH
                || response.getResponseResource() == null
                || servletResponse.containsHeader(Constants.HEADER_ETAG)) {
            return;
        }
        String version = response.getResponseResource().getIdElement().getVersionIdPart();
        if (version != null) {
            servletResponse.setHeader(Constants.HEADER_ETAG, "W/\"" + version + "\"");
        }
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_DELETED, order = HookOrder.CONTENT + 10)
    void deleteOnlyCurrentVersion(IBaseResource resource, RequestDetails request) {
        if (request == null) {
            return;
        }
        String ifMatch = request.getHeader(Constants.HEADER_IF_MATCH);
        if (ifMatch == null || ifMatch.isBlank()) {
            return;
        }
        Matcher matcher = VERSION.matcher(ifMatch.trim());
        String current = resource.getIdElement().getVersionIdPart();
        if (!matcher.matches() || !matcher.group(1).equals(current)) {
            throw new PreconditionFailedException("If-Match " + ifMatch + " does not match the current version "
                    + current + " of "
                    + resource.getIdElement().toUnqualifiedVersionless().getValue()
                    + "; the resource was not deleted");
        }
    }
}
