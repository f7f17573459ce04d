package se.patientkontrakt.fhir.server;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Answers every FHIR request with 503 and {@code Retry-After} until the application is ready.
 * The web server takes requests before the start-up work is done (storing the shipped
 * definitions, SearchParameters among them); a write let through then is stored without the
 * index rows of a SearchParameter stored a moment later, and, where no resource of its type
 * existed yet when that SearchParameter was stored, nothing reindexes it: a bulk load started on
 * the first 200 from {@code /fhir/metadata} left 146 Patients without their row in the unique
 * identifier index, and the portal view by personnummer answered 404 for them. Readiness is
 * Spring Boot's, the same state {@code /actuator/health/readiness} reports.
 */
class NotReadyFilter extends OncePerRequestFilter {

    static final int RETRY_AFTER_SECONDS = 5;

    private final OperationOutcomeWriter outcomes;
    private final ApplicationAvailability availability;

    NotReadyFilter(OperationOutcomeWriter outcomes, ApplicationAvailability availability) {
        this.outcomes = outcomes;
        this.availability = availability;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC) {
            chain.doFilter(request, response);
            return;
        }
        response.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
        response.setHeader("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
        outcomes.write(
                request,
                response,
                IssueType.TRANSIENT,
                "The server is starting and takes no requests yet; try again in " + RETRY_AFTER_SECONDS + " seconds");
    }
}
