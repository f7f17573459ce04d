package se.patientkontrakt.fhir.server;

import ca.uhn.fhir.context.FhirContext;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueSeverity;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;

/**
 * Writes the OperationOutcome a FHIR client expects on a request refused before HAPI sees it (by
 * a servlet filter or the security chain). The caller sets the status.
 */
public record OperationOutcomeWriter(FhirContext fhirContext) {

    public void write(HttpServletResponse response, IssueType type, String message) throws IOException {
        OperationOutcome outcome = error(type, message);
        response.setContentType("application/fhir+json;charset=UTF-8");
        response.getOutputStream()
                .write(fhirContext
                        .newJsonParser()
                        .encodeResourceToString(outcome)
                        .getBytes(StandardCharsets.UTF_8));
    }

    /** An OperationOutcome of one error issue. */
    public static OperationOutcome error(IssueType type, String message) {
        OperationOutcome outcome = new OperationOutcome();
        outcome.addIssue().setSeverity(IssueSeverity.ERROR).setCode(type).setDiagnostics(message);
        return outcome;
    }
}
