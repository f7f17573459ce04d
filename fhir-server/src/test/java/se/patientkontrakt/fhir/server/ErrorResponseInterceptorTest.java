package se.patientkontrakt.fhir.server;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.hibernate.TransactionException;
import org.junit.jupiter.api.Test;
import org.springframework.orm.jpa.JpaSystemException;
import org.springframework.transaction.CannotCreateTransactionException;

class ErrorResponseInterceptorTest {

    private final ErrorResponseInterceptor interceptor = new ErrorResponseInterceptor(() -> true, System::nanoTime);

    @Test
    void noConnectionFromThePoolIs503WithRetryAfter() {
        Throwable failure = new InternalErrorException(
                "HAPI-0000: failed",
                new CannotCreateTransactionException(
                        "Could not open JPA EntityManager for transaction",
                        new SQLTransientConnectionException(
                                "HikariPool-1 - Connection is not available, request timed out after 5000ms")));

        BaseServerResponseException answer = interceptor.toClientResponse(new SystemRequestDetails(), failure);

        assertThat(answer.getStatusCode()).isEqualTo(503);
        assertThat(answer.getMessage()).contains("database is not reachable", "error reference");
        assertThat(answer.getResponseHeaders()).containsEntry("Retry-After", java.util.List.of("5"));
    }

    @Test
    void connectionLostOrDatabaseShuttingDownIs503() {
        assertThat(ErrorResponseInterceptor.databaseUnavailable(
                        new RuntimeException(new SQLException("An I/O error occurred", "08006"))))
                .isTrue();
        assertThat(ErrorResponseInterceptor.databaseUnavailable(
                        new SQLException("terminating connection due to administrator command", "57P01")))
                .isTrue();
        // What Spring throws when the rollback after such a failure finds the connection gone.
        assertThat(ErrorResponseInterceptor.databaseUnavailable(new JpaSystemException(new TransactionException(
                        "Unable to rollback against JDBC Connection", new SQLException("Connection is closed")))))
                .isTrue();
    }

    @Test
    void aFailureWithoutCauseIs503WhenTheDatabaseDoesNotAnswer() {
        // What a search that failed on HAPI's worker thread leaves the request thread.
        Throwable failure = new InternalErrorException("Connection refused");

        BaseServerResponseException answer = new ErrorResponseInterceptor(() -> false, System::nanoTime)
                .toClientResponse(new SystemRequestDetails(), failure);

        assertThat(answer.getStatusCode()).isEqualTo(503);
    }

    @Test
    void aFailureWithoutCauseSoonAfterAnOutageIs503EvenIfTheDatabaseIsBack() {
        // A search fails on HAPI's worker while the database is down; by the time the request
        // thread answers, the database is back and a fresh connection succeeds.
        AtomicBoolean up = new AtomicBoolean(false);
        AtomicLong now = new AtomicLong(0);
        ErrorResponseInterceptor afterOutage = new ErrorResponseInterceptor(up::get, now::get);
        Throwable noConnection = new CannotCreateTransactionException(
                "Could not open JPA EntityManager", new SQLTransientConnectionException("Connection is not available"));
        assertThat(afterOutage
                        .toClientResponse(new SystemRequestDetails(), noConnection)
                        .getStatusCode())
                .isEqualTo(503);
        up.set(true);
        now.addAndGet(Duration.ofSeconds(20).toNanos());

        Throwable searchFailed = new InternalErrorException("Connection refused");
        assertThat(afterOutage
                        .toClientResponse(new SystemRequestDetails(), searchFailed)
                        .getStatusCode())
                .isEqualTo(503);

        // Long after the outage the same failure is a fault of the server again.
        now.addAndGet(ErrorResponseInterceptor.OUTAGE_MEMORY.toNanos());
        assertThat(afterOutage
                        .toClientResponse(new SystemRequestDetails(), searchFailed)
                        .getStatusCode())
                .isEqualTo(500);
        // And without an outage before, a failure that names no cause is a 500 from the start.
        assertThat(interceptor
                        .toClientResponse(new SystemRequestDetails(), searchFailed)
                        .getStatusCode())
                .isEqualTo(500);
    }

    @Test
    void otherServerFaultsStay500() {
        assertThat(ErrorResponseInterceptor.databaseUnavailable(new SQLException("duplicate key", "23505")))
                .isFalse();
        assertThat(ErrorResponseInterceptor.databaseUnavailable(new SQLException("canceled", "57014")))
                .isFalse();
        BaseServerResponseException answer =
                interceptor.toClientResponse(new SystemRequestDetails(), new IllegalStateException("bug"));
        assertThat(answer.getStatusCode()).isEqualTo(500);
        assertThat(answer.getResponseHeaders()).doesNotContainKey("Retry-After");
    }
}
