package se.patientkontrakt.fhir.server;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * {@code X-Content-Type-Options: nosniff} on every response, with or without access control: a
 * browser then takes a response for what its Content-Type says and never runs a FHIR resource or
 * an error message as a script or a page of its own guessing
 * (<a href="https://fetch.spec.whatwg.org/#x-content-type-options-header">Fetch</a>).
 */
class NoSniffFilter extends OncePerRequestFilter {

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        response.setHeader("X-Content-Type-Options", "nosniff");
        chain.doFilter(request, response);
    }
}
