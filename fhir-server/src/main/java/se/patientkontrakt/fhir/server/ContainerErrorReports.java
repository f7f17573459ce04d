package se.patientkontrakt.fhir.server;

import ca.uhn.fhir.context.FhirContext;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.Host;
import org.apache.catalina.Valve;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * Tomcat's own error answers as FHIR OperationOutcomes. Tomcat refuses a request it cannot parse
 * (an illegal character in the request target, a malformed method or header, an encoded {@code /}
 * or {@code %00} in the path, an HTTP version it does not speak) before any filter or servlet
 * sees it, and answers with the HTML page of its host's {@link ErrorReportValve}. This replaces
 * that valve: Spring Boot adds a plain one to the host, and Tomcat would add its default when the
 * host starts unless a valve of the class the host names is there already.
 */
@Component
class ContainerErrorReports implements WebServerFactoryCustomizer<TomcatServletWebServerFactory> {

    private final OperationOutcomeWriter outcomes;

    ContainerErrorReports(FhirContext fhirContext) {
        this.outcomes = new OperationOutcomeWriter(fhirContext);
    }

    @Override
    public void customize(TomcatServletWebServerFactory factory) {
        // Runs after Spring Boot's own customizer (this bean has the lowest precedence), whose
        // context customizer has added its valve to the host by then.
        factory.addContextCustomizers(context -> {
            Host host = (Host) context.getParent();
            for (Valve valve : host.getPipeline().getValves()) {
                if (valve instanceof ErrorReportValve && !(valve instanceof OperationOutcomeValve)) {
                    host.getPipeline().removeValve(valve);
                }
            }
            host.getPipeline().addValve(new OperationOutcomeValve(outcomes));
            if (host instanceof StandardHost standard) {
                standard.setErrorReportValveClass(OperationOutcomeValve.class.getName());
            }
        });
    }

    /**
     * Writes the error Tomcat answers with as an OperationOutcome: for a request it could not
     * parse, Tomcat's reason (its message names the offending part, e.g. "Invalid character found
     * in the request target"); for any other status, what the status means.
     */
    static final class OperationOutcomeValve extends ErrorReportValve {

        private final OperationOutcomeWriter outcomes;

        OperationOutcomeValve(OperationOutcomeWriter outcomes) {
            this.outcomes = outcomes;
        }

        @Override
        protected void report(Request request, Response response, Throwable throwable) {
            int status = response.getStatus();
            // As Tomcat's own valve: only an error not yet answered, on a connection still open.
            if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
                return;
            }
            AtomicBoolean ioAllowed = new AtomicBoolean(true);
            response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
            if (!ioAllowed.get()) {
                return;
            }
            boolean xml = OperationOutcomeWriter.wantsXml(request);
            try {
                response.setContentType(OperationOutcomeWriter.contentType(xml));
                response.setHeader("X-Content-Type-Options", "nosniff");
                PrintWriter writer = response.getReporter();
                if (writer != null) {
                    writer.write(outcomes.encode(
                            OperationOutcomeWriter.error(
                                    OperationOutcomeWriter.issueType(status), message(status, response, throwable)),
                            xml));
                    response.finishResponse();
                }
            } catch (IOException | IllegalStateException e) {
                // The client is gone or the response was taken over: nothing more to tell.
            }
        }

        private static String message(int status, Response response, Throwable throwable) {
            if (status >= 500) {
                HttpStatus known = HttpStatus.resolve(status);
                return "The server could not answer the request: HTTP " + status
                        + (known == null ? "" : " " + known.getReasonPhrase());
            }
            String reason = throwable instanceof IllegalArgumentException malformed
                    ? malformed.getMessage()
                    : response.getMessage();
            return "The request could not be read (HTTP " + status + ")"
                    + (reason == null || reason.isBlank() ? "" : ": " + reason);
        }
    }
}
