package se.patientkontrakt.fhir.server;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import javax.sql.DataSource;
import org.hibernate.TransactionException;
import org.hibernate.exception.JDBCConnectionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionSystemException;

/**
 * Gives every failed request the HTTP status the FHIR spec names and nothing internal. It runs
 * last of the hooks that translate errors: a feature that says its own refusals in its own words
 * does so at an earlier order.
 *
 * <ul>
 *   <li>A value the client sent that HAPI cannot parse (for example {@code birthdate=notadate})
 *       surfaces as HAPI's {@link DataFormatException}, which HAPI answers with 500; it is the
 *       client's error, so 400 with HAPI's message.
 *   <li>A body whose Content-Type is not a FHIR format gets 415 Unsupported Media Type
 *       (<a href="https://hl7.org/fhir/R4/http.html#mime-type">http.html#mime-type</a>); HAPI says
 *       400 (its message code HAPI-0449).
 *   <li>A request that failed because the database could not be reached (down, restarting, or
 *       every pooled connection busy beyond Hikari's {@code connection-timeout}), as its causes
 *       say or, where HAPI kept only a message, as a fresh connection attempt shows or as the
 *       database was found unreachable within the last {@link #OUTAGE_MEMORY}, gets
 *       <b>503 Service Unavailable</b> with {@code Retry-After}: the fault is passing and not the
 *       request's, so a client or load balancer should try again rather than give up (RFC 9110
 *       section 15.6.4). A write that failed this way may or may not have been committed; every
 *       write here is safe to repeat with the same {@code If-Match} or the same PUT id.
 *   <li>Any other server-side failure gets a generic message with a reference; the exception,
 *       which may name classes, SQL or files, goes to the log under that reference.
 * </ul>
 */
@Component
@Interceptor
class ErrorResponseInterceptor implements RestInterceptor {

    private static final Logger log = LoggerFactory.getLogger(ErrorResponseInterceptor.class);

    /** HAPI's stable message code for "Incorrect Content-Type header value". */
    private static final String HAPI_UNSUPPORTED_CONTENT_TYPE = "HAPI-0449";

    /** HAPI's code for an exception thrown inside a method it called (an operation's). */
    private static final String HAPI_FAILED_TO_CALL_METHOD = "HAPI-0389";

    private static final int UNSUPPORTED_MEDIA_TYPE = 415;

    private static final int SERVICE_UNAVAILABLE = 503;

    /** Seconds a client is asked to wait while the database is unreachable. */
    static final String RETRY_AFTER_SECONDS = "5";

    /**
     * How long after the database was last found unreachable a failure that names no cause is
     * still put down to it: HAPI's search worker keeps only the message of what failed, and the
     * database may be back by the time the request thread answers.
     */
    static final Duration OUTAGE_MEMORY = Duration.ofSeconds(30);

    private final BooleanSupplier databaseReachable;
    private final LongSupplier clock;
    /** When the database was last found unreachable; at first, as if longer ago than remembered. */
    private final AtomicLong lastUnavailableAt;

    @Autowired
    ErrorResponseInterceptor(DataSource dataSource) {
        this(() -> reachable(dataSource), System::nanoTime);
    }

    ErrorResponseInterceptor(BooleanSupplier databaseReachable, LongSupplier nanoClock) {
        this.databaseReachable = databaseReachable;
        this.clock = nanoClock;
        this.lastUnavailableAt = new AtomicLong(nanoClock.getAsLong() - OUTAGE_MEMORY.toNanos());
    }

    @Hook(value = Pointcut.SERVER_PRE_PROCESS_OUTGOING_EXCEPTION, order = HookOrder.PRESENTATION + 100)
    BaseServerResponseException toClientResponse(RequestDetails request, Throwable exception) {
        if (exception instanceof DataFormatException) {
            return new InvalidRequestException(exception.getMessage());
        }
        if (isOperationWithoutItsParameters(request, exception)) {
            return new InvalidRequestException("The operation " + request.getOperation()
                    + " cannot be done with the parameters given: see its OperationDefinition in /metadata");
        }
        if (exception instanceof BaseServerResponseException known && known.getStatusCode() < 500) {
            String message = known.getMessage();
            if (message != null && message.startsWith(HAPI_UNSUPPORTED_CONTENT_TYPE)) {
                return withStatus(UNSUPPORTED_MEDIA_TYPE, message);
            }
            return null;
        }
        String reference = UUID.randomUUID().toString();
        // HAPI runs a search on a worker thread and hands the request thread only the message of
        // what failed there, so the cause is gone: for a failure that names no cause, ask the
        // database itself.
        if (databaseUnavailable(exception)
                || !databaseReachable.getAsBoolean()
                || (namesNoCause(exception) && recentlyUnavailable())) {
            lastUnavailableAt.set(clock.getAsLong());
            log.warn(
                    "Database unavailable {} on {} {}: {}",
                    reference,
                    request.getRequestType(),
                    request.getCompleteUrl(),
                    rootMessage(exception));
            BaseServerResponseException unavailable = withStatus(
                    SERVICE_UNAVAILABLE,
                    "The database is not reachable at the moment (error reference " + reference + "); try again in "
                            + RETRY_AFTER_SECONDS + " seconds");
            unavailable.addResponseHeader("Retry-After", RETRY_AFTER_SECONDS);
            return unavailable;
        }
        log.error(
                "Internal error {} on {} {}", reference, request.getRequestType(), request.getCompleteUrl(), exception);
        int status = exception instanceof BaseServerResponseException known ? known.getStatusCode() : 500;
        return withStatus(
                status,
                "The server could not complete the request (error reference " + reference
                        + "); the request was not applied");
    }

    /**
     * One of HAPI's operations (say {@code $subsumes} without its codes) called with parameters it
     * does not check: HAPI wraps the NullPointerException in its "failed to call access method" (code
     * HAPI-0389) and answers 500, though the request is what is wrong.
     */
    static boolean isOperationWithoutItsParameters(RequestDetails request, Throwable exception) {
        return request.getOperation() != null
                && exception instanceof BaseServerResponseException
                && exception.getMessage() != null
                && exception.getMessage().startsWith(HAPI_FAILED_TO_CALL_METHOD)
                && exception.getMessage().contains("NullPointerException");
    }

    /**
     * Whether the failure, or anything that caused it, says the database could not be reached:
     * no connection from the pool, a broken connection (SQLSTATE class 08) or a server shutting
     * down or starting (PostgreSQL's 57P01-57P03).
     */
    static boolean databaseUnavailable(Throwable exception) {
        for (Throwable cause = exception; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof CannotCreateTransactionException
                    || cause instanceof DataAccessResourceFailureException
                    || cause instanceof JDBCConnectionException
                    || cause instanceof SQLTransientConnectionException
                    || cause instanceof SQLNonTransientConnectionException) {
                return true;
            }
            if (cause instanceof SQLException sql && connectionState(sql.getSQLState())) {
                return true;
            }
            // A commit or rollback the connection itself could not carry out: Spring then throws
            // that failure, not the one that started it (Hikari's "Connection is closed" has no
            // SQLSTATE).
            if ((cause instanceof TransactionException || cause instanceof TransactionSystemException)
                    && cause.getCause() instanceof SQLException sql
                    && (sql.getSQLState() == null || connectionState(sql.getSQLState()))) {
                return true;
            }
        }
        return false;
    }

    /** A failure HAPI passed on as a message only, as it does for a search that failed on its worker. */
    private static boolean namesNoCause(Throwable exception) {
        return exception instanceof BaseServerResponseException && exception.getCause() == null;
    }

    private boolean recentlyUnavailable() {
        return clock.getAsLong() - lastUnavailableAt.get() < OUTAGE_MEMORY.toNanos();
    }

    private static boolean reachable(DataSource dataSource) {
        try (Connection connection = dataSource.getConnection()) {
            return connection.isValid(2);
        } catch (SQLException | RuntimeException e) {
            return false;
        }
    }

    private static boolean connectionState(String sqlState) {
        return sqlState != null && (sqlState.startsWith("08") || sqlState.startsWith("57P"));
    }

    private static String rootMessage(Throwable exception) {
        Throwable root = exception;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    private static BaseServerResponseException withStatus(int status, String message) {
        return new BaseServerResponseException(status, message) {};
    }
}
