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
 * two hexadecimal digits, which is no percent-encoding (RFC 3986 section 2.1). Tomcat passes the
 * query string on as it came; HAPI decodes it before any interceptor runs and failed on such a
 * {@code %} with 500 ({@code GET /fhir/Patient?name=%zz}).
 */
class QueryStringFilter extends OncePerRequestFilter {

    private static final Pattern BAD_ESCAPE = Pattern.compile("%(?![0-9A-Fa-f]{2}).{0,2}");

    private final OperationOutcomeWriter outcomes;

    QueryStringFilter(OperationOutcomeWriter outcomes) {
        this.outcomes = outcomes;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String query = request.getQueryString();
        Matcher bad = query == null ? null : BAD_ESCAPE.matcher(query);
        if (bad == null || !bad.find()) {
            chain.doFilter(request, response);
            return;
        }
        response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
        outcomes.write(
                request,
                response,
                IssueType.INVALID,
                "The query string holds '" + bad.group() + "', which is not a percent-encoded byte (RFC 3986"
                        + " section 2.1): a % must be followed by two hexadecimal digits; send a % itself as %25");
    }
}
