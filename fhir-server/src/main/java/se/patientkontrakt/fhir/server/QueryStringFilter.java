package se.patientkontrakt.fhir.server;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses with 400 a FHIR request whose query string holds a {@code %} that is not followed by
 * two hexadecimal digits, which is no percent-encoding (RFC 3986 section 2.1), or that encodes a
 * control character ({@code %00}-{@code %1F}, {@code %7F}), which no search value holds. Tomcat
 * passes the query string on as it came; HAPI decodes it before any interceptor runs and failed
 * on such a {@code %} with 500 ({@code GET /fhir/Patient?name=%zz}), and PostgreSQL refuses a NUL
 * in a string with 500 ({@code GET /fhir/Patient?name=%00}).
 */
class QueryStringFilter extends OncePerRequestFilter {

    private static final Pattern BAD_ESCAPE = Pattern.compile("%(?![0-9A-Fa-f]{2}).{0,2}");
    private static final Pattern CONTROL = Pattern.compile("%(?:[01][0-9A-Fa-f]|7[Ff])");

    private final OperationOutcomeWriter outcomes;

    QueryStringFilter(OperationOutcomeWriter outcomes) {
        this.outcomes = outcomes;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String query = request.getQueryString();
        if (query == null) {
            chain.doFilter(request, response);
            return;
        }
        Matcher bad = BAD_ESCAPE.matcher(query);
        Matcher control = CONTROL.matcher(query);
        if (bad.find()) {
            refuse(
                    request,
                    response,
                    "The query string holds '" + bad.group() + "', which is not a percent-encoded"
                            + " byte (RFC 3986 section 2.1): a % must be followed by two hexadecimal digits; send a % itself"
                            + " as %25");
        } else if (control.find()) {
            refuse(
                    request,
                    response,
                    "The query string holds '" + control.group() + "', a control character,"
                            + " which no search value holds");
        } else {
            chain.doFilter(request, response);
        }
    }

    private void refuse(HttpServletRequest request, HttpServletResponse response, String message) throws IOException {
        response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
        outcomes.write(request, response, IssueType.INVALID, message);
    }
}
