package se.patientkontrakt.fhir.server;

import ca.uhn.fhir.interceptor.executor.BaseInterceptorService;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Keeps client errors out of the error log. HAPI logs every exception an interceptor throws at
 * ERROR with its whole stack trace (some 150 lines) before it answers the request, also when the
 * exception is the answer: a 409 for a personnummer already held, a 422 for a contract that does
 * not conform, a 403 from an access rule. Each of those is the server working as meant and is
 * already told to the client in an OperationOutcome; at ERROR it would page whoever watches the
 * log. This filter turns such an event into one INFO line (status and message) and lets every
 * other event through: an interceptor's 5xx, or any other exception, is still logged at ERROR
 * with its stack.
 *
 * <p>Logback holds one filter list for the whole JVM, and Spring Boot empties it whenever an
 * application context starts (tests start several). So the filter is installed whenever a context
 * creates it and is missing, and taken out only when the last context that asked for it closes:
 * a context that closes does not take the filter away from one still running.
 */
@Component
public class ClientErrorLogFilter extends TurboFilter implements DisposableBean {

    static final String HAPI_INTERCEPTORS = BaseInterceptorService.class.getName();

    static final String NAME = "patientkontrakt-client-errors";

    private static final org.slf4j.Logger log = LoggerFactory.getLogger(ClientErrorLogFilter.class);

    /** Application contexts alive that created the filter; guarded by the class. */
    private static int users;

    private final LoggerContext context;

    ClientErrorLogFilter() {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        this.context = factory instanceof LoggerContext logback ? logback : null;
        setName(NAME);
        start();
        if (context != null) {
            synchronized (ClientErrorLogFilter.class) {
                users++;
                if (!installed(context)) {
                    context.addTurboFilter(this);
                }
            }
        }
    }

    static boolean installed(LoggerContext context) {
        return context.getTurboFilterList().stream().anyMatch(f -> NAME.equals(f.getName()));
    }

    @Override
    public FilterReply decide(
            Marker marker, Logger logger, Level level, String format, Object[] params, Throwable thrown) {
        // With a message of placeholders, the exception comes as the last parameter.
        Throwable cause = thrown == null
                        && params != null
                        && params.length > 0
                        && params[params.length - 1] instanceof Throwable last
                ? last
                : thrown;
        if (level != Level.ERROR
                || !(cause instanceof BaseServerResponseException answer)
                || answer.getStatusCode() >= 500
                || logger == null
                || !HAPI_INTERCEPTORS.equals(logger.getName())) {
            return FilterReply.NEUTRAL;
        }
        log.info("Request answered {}: {}", answer.getStatusCode(), answer.getMessage());
        return FilterReply.DENY;
    }

    @Override
    public void destroy() {
        if (context != null) {
            synchronized (ClientErrorLogFilter.class) {
                if (--users == 0) {
                    context.getTurboFilterList().removeIf(f -> NAME.equals(f.getName()));
                }
            }
        }
    }
}
