package se.patientkontrakt.fhir.server;

import ca.uhn.fhir.context.FhirContext;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.UUID;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.web.servlet.error.DefaultErrorAttributes;
import org.springframework.boot.web.servlet.error.ErrorController;
import org.springframework.http.HttpStatus;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.security.web.firewall.RequestRejectedHandler;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.RequestMapping;

/**
 * Spring's error page ({@code /error}, where the servlet container forwards every error outside
 * HAPI: an unknown page, a method a page does not take, a URL the security chain's firewall
 * refuses, a failure in a controller) as a FHIR OperationOutcome in the client's format, in place
 * of Spring Boot's own JSON with its timestamp and path: a FHIR client gets the same kind of
 * answer wherever its request ends. It says what was wrong with the request; a server-side failure
 * gets a reference instead, and its exception goes to the log under it.
 *
 * <p>It also answers the requests the security chain's firewall refuses (a {@code /../} or
 * {@code ;} in the path, a header with control characters), which Spring Security would send to
 * {@code /error} without the reason.
 */
@Controller
class ErrorOutcomeController implements ErrorController, RequestRejectedHandler {

    private static final Logger log = LoggerFactory.getLogger(ErrorOutcomeController.class);

    /** Where Spring Boot's {@link DefaultErrorAttributes} keeps the exception a handler threw. */
    private static final String SPRING_ERROR = DefaultErrorAttributes.class.getName() + ".ERROR";

    private final OperationOutcomeWriter outcomes;

    ErrorOutcomeController(FhirContext fhirContext) {
        this.outcomes = new OperationOutcomeWriter(fhirContext);
    }

    @RequestMapping("${server.error.path:${error.path:/error}}")
    void error(HttpServletRequest request, HttpServletResponse response) throws IOException {
        int status = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE) instanceof Integer code && code >= 400
                ? code
                : HttpServletResponse.SC_INTERNAL_SERVER_ERROR;
        response.setStatus(status);
        outcomes.write(request, response, OperationOutcomeWriter.issueType(status), message(request, response, status));
    }

    @Override
    public void handle(HttpServletRequest request, HttpServletResponse response, RequestRejectedException rejected)
            throws IOException {
        response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
        outcomes.write(request, response, IssueType.INVALID, "The request was refused: " + rejected.getMessage());
    }

    private static String message(HttpServletRequest request, HttpServletResponse response, int status) {
        String path = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI) instanceof String uri
                ? uri
                : request.getRequestURI();
        Throwable exception = exception(request);
        if (status >= 500) {
            String reference = UUID.randomUUID().toString();
            log.error("Internal error {} on {} {}", reference, request.getMethod(), path, exception);
            return "The server could not complete the request (error reference " + reference
                    + "); the request was not applied";
        }
        return switch (status) {
            case 404 -> "Nothing is served at " + path + "; the FHIR API is at /fhir";
            case 405 ->
                "Method " + request.getMethod() + " is not allowed on " + path
                        + (response.getHeader("Allow") == null ? "" : "; allowed: " + response.getHeader("Allow"));
            default -> reason(status) + ": " + request.getMethod() + " " + path;
        };
    }

    private static Throwable exception(HttpServletRequest request) {
        if (request.getAttribute(SPRING_ERROR) instanceof Throwable thrown) {
            return thrown;
        }
        return request.getAttribute(RequestDispatcher.ERROR_EXCEPTION) instanceof Throwable thrown ? thrown : null;
    }

    private static String reason(int status) {
        HttpStatus known = HttpStatus.resolve(status);
        return known == null ? "HTTP " + status : known.value() + " " + known.getReasonPhrase();
    }
}
