package se.patientkontrakt.fhir.pages;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The headers that keep the pages to themselves, with access control on or off: a strict
 * <a href="https://www.w3.org/TR/CSP3/">Content-Security-Policy</a> (scripts, styles and
 * everything else from this server only, nothing inline; calls to this server and to the identity
 * provider's token and authorization endpoints, for the SMART launch; no framing by another site;
 * forms to this server only) and {@code Referrer-Policy: no-referrer}, so that neither a page's
 * address nor its query (a patient id, a personnummer) leaves with a request to another site.
 * {@code X-Content-Type-Options: nosniff} comes with every response of the server.
 *
 * <p>It applies to everything served outside {@code /fhir}: the pages, their scripts and styles,
 * and Spring's answers beside them. HAPI's Swagger UI under {@code /fhir} runs inline scripts and
 * is left as it is.
 */
class PageHeadersFilter extends OncePerRequestFilter {

    private final String policy;

    PageHeadersFilter(List<URI> identityProviderEndpoints) {
        this.policy = policy(identityProviderEndpoints);
    }

    static String policy(List<URI> identityProviderEndpoints) {
        Set<String> connect = new LinkedHashSet<>();
        connect.add("'self'");
        identityProviderEndpoints.stream()
                .filter(Objects::nonNull)
                .filter(uri -> uri.getScheme() != null && uri.getHost() != null)
                .map(uri -> uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort()))
                .forEach(connect::add);
        return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src "
                + String.join(" ", connect)
                + "; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        return path.equals("/fhir") || path.startsWith("/fhir/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        response.setHeader("Content-Security-Policy", policy);
        response.setHeader("Referrer-Policy", "no-referrer");
        chain.doFilter(request, response);
    }
}
