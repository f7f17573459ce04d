package se.patientkontrakt.fhir.server;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Gives every failed request the HTTP status the FHIR spec names and nothing internal.
 *
 * <ul>
 *   <li>A value the client sent that HAPI cannot parse (for example {@code birthdate=notadate})
 *       surfaces as HAPI's {@link DataFormatException}, which HAPI answers with 500; it is the
 *       client's error, so 400 with HAPI's message.
 *   <li>A body whose Content-Type is not a FHIR format gets 415 Unsupported Media Type
 *       (<a href="https://hl7.org/fhir/R4/http.html#mime-type">http.html#mime-type</a>); HAPI says
 *       400 (its message code HAPI-0449).
 *   <li>Any other server-side failure gets a generic message with a reference; the exception,
 *       which may name classes, SQL or files, goes to the log under that reference.
 * </ul>
 */
@Component
@Interceptor
class ErrorResponseInterceptor implements RestInterceptor {

    private static final Logger log = LoggerFactory.getLogger(ErrorResponseInterceptor.class);

    /** HAPI's stable message code for "Incorrect Content-Type header value". */
    private static final String HAPI_UNSUPPORTED_CONTENT_TYPE = "HAPI-0449";

    private static final int UNSUPPORTED_MEDIA_TYPE = 415;

    @Hook(Pointcut.SERVER_PRE_PROCESS_OUTGOING_EXCEPTION)
    BaseServerResponseException toClientResponse(RequestDetails request, Throwable exception) {
        if (exception instanceof DataFormatException) {
            return new InvalidRequestException(exception.getMessage());
        }
        if (exception instanceof BaseServerResponseException known && known.getStatusCode() < 500) {
            String message = known.getMessage();
            if (message != null && message.startsWith(HAPI_UNSUPPORTED_CONTENT_TYPE)) {
                return withStatus(UNSUPPORTED_MEDIA_TYPE, message);
            }
            return null;
        }
        String reference = UUID.randomUUID().toString();
        log.error(
                "Internal error {} on {} {}", reference, request.getRequestType(), request.getCompleteUrl(), exception);
        int status = exception instanceof BaseServerResponseException known ? known.getStatusCode() : 500;
        return withStatus(
                status,
                "The server could not complete the request (error reference " + reference
                        + "); the request was not applied");
    }

    private static BaseServerResponseException withStatus(int status, String message) {
        return new BaseServerResponseException(status, message) {};
    }
}
