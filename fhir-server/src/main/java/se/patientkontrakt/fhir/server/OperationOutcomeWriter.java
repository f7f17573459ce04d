package se.patientkontrakt.fhir.server;

import ca.uhn.fhir.context.FhirContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueSeverity;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * Writes the OperationOutcome a FHIR client expects on a request answered outside HAPI: refused by
 * a servlet filter or the security chain, or failed in the servlet container or in Spring
 * ({@link ErrorOutcomeController}, {@link ContainerErrorReports}). The caller sets the status.
 *
 * <p>The format is the one the client asked for, as HAPI picks it for its own answers
 * (<a href="https://hl7.org/fhir/R4/http.html#mime-type">http.html#mime-type</a>): {@code _format}
 * first ({@code xml}, {@code application/fhir+xml} …), then the {@code Accept} header by quality;
 * XML for an XML type ({@code application/fhir+xml}, {@code application/xml}, {@code text/xml}),
 * JSON for everything else, as before.
 */
public record OperationOutcomeWriter(FhirContext fhirContext) {

    static final String FHIR_JSON = "application/fhir+json;charset=UTF-8";
    static final String FHIR_XML = "application/fhir+xml;charset=UTF-8";

    /** Writes an OperationOutcome of one error issue in the format the request asks for. */
    public void write(HttpServletRequest request, HttpServletResponse response, IssueType type, String message)
            throws IOException {
        boolean xml = wantsXml(request);
        response.setContentType(contentType(xml));
        response.getOutputStream().write(encode(error(type, message), xml).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * As {@link #write(HttpServletRequest, HttpServletResponse, IssueType, String)}, for the
     * request Spring holds for this thread (its {@code RequestContextFilter} runs before the
     * security chain); JSON when there is none.
     */
    public void write(HttpServletResponse response, IssueType type, String message) throws IOException {
        write(currentRequest(), response, type, message);
    }

    /** The outcome as text, in XML or JSON. */
    String encode(OperationOutcome outcome, boolean xml) {
        return (xml ? fhirContext.newXmlParser() : fhirContext.newJsonParser()).encodeResourceToString(outcome);
    }

    static String contentType(boolean xml) {
        return xml ? FHIR_XML : FHIR_JSON;
    }

    /** An OperationOutcome of one error issue. */
    public static OperationOutcome error(IssueType type, String message) {
        OperationOutcome outcome = new OperationOutcome();
        outcome.addIssue().setSeverity(IssueSeverity.ERROR).setCode(type).setDiagnostics(message);
        return outcome;
    }

    /** An OperationOutcome of one error issue about an element ({@code CarePlan.careTeam}). */
    public static OperationOutcome error(IssueType type, String message, String path) {
        return new OperationOutcome().addIssue(issue(type, message, path));
    }

    /** An error issue about an element, named as FHIRPath in {@code expression} and {@code location}. */
    public static OperationOutcome.OperationOutcomeIssueComponent issue(IssueType type, String message, String path) {
        OperationOutcome.OperationOutcomeIssueComponent issue = new OperationOutcome.OperationOutcomeIssueComponent()
                .setSeverity(IssueSeverity.ERROR)
                .setCode(type)
                .setDiagnostics(message);
        if (path != null && !path.isBlank()) {
            issue.addExpression(path).addLocation(path);
        }
        return issue;
    }

    /** The issue type that says what an HTTP error status means. */
    public static IssueType issueType(int status) {
        return switch (status) {
            case 401 -> IssueType.LOGIN;
            case 403 -> IssueType.FORBIDDEN;
            case 404, 410 -> IssueType.NOTFOUND;
            case 405, 406, 415, 501, 505 -> IssueType.NOTSUPPORTED;
            case 408, 504 -> IssueType.TIMEOUT;
            case 409 -> IssueType.CONFLICT;
            case 413, 414, 431 -> IssueType.TOOLONG;
            case 429 -> IssueType.THROTTLED;
            case 503 -> IssueType.TRANSIENT;
            default -> status >= 500 ? IssueType.EXCEPTION : IssueType.INVALID;
        };
    }

    /**
     * Whether the client asked for XML. Reads the raw query string and header only, leniently:
     * the request may be one the container could not parse.
     */
    static boolean wantsXml(HttpServletRequest request) {
        if (request == null) {
            return false;
        }
        Boolean format = formatParameter(request.getQueryString());
        if (format != null) {
            return format;
        }
        return acceptsXmlFirst(request.getHeader("Accept"));
    }

    /** {@code _format} in a query string: true for XML, false for JSON, null when absent or neither. */
    private static Boolean formatParameter(String query) {
        if (query == null) {
            return null;
        }
        for (String pair : query.split("&")) {
            int equals = pair.indexOf('=');
            if (equals > 0 && "_format".equals(pair.substring(0, equals))) {
                Boolean xml = kind(lenientDecode(pair.substring(equals + 1)));
                if (xml != null) {
                    return xml;
                }
            }
        }
        return null;
    }

    /** True for an XML type, false for a JSON one, null for anything else. */
    private static Boolean kind(String format) {
        String lower = format.toLowerCase(Locale.ROOT);
        if (lower.contains("xml")) {
            return true;
        }
        if (lower.contains("json")) {
            return false;
        }
        return null;
    }

    /**
     * Whether the Accept header's most wanted FHIR format is XML: the XML or JSON type of the
     * highest quality, the first listed of equals.
     */
    private static boolean acceptsXmlFirst(String accept) {
        if (accept == null || accept.isBlank()) {
            return false;
        }
        List<MediaType> types;
        try {
            types = MediaType.parseMediaTypes(accept);
        } catch (InvalidMediaTypeException e) {
            return false;
        }
        Boolean best = null;
        double bestQuality = 0;
        for (MediaType type : types) {
            Boolean xml = kind(type.getSubtype());
            if (xml != null && type.getQualityValue() > bestQuality) {
                best = xml;
                bestQuality = type.getQualityValue();
            }
        }
        return Boolean.TRUE.equals(best);
    }

    private static String lenientDecode(String value) {
        try {
            // Only %XX: a '+' in "application/fhir+xml" sent unencoded stays a '+'.
            return URLDecoder.decode(value.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return value;
        }
    }

    private static HttpServletRequest currentRequest() {
        return RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes attributes
                ? attributes.getRequest()
                : null;
    }
}
