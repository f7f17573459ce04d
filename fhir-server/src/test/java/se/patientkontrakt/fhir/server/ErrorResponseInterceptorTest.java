package se.patientkontrakt.fhir.server;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.hibernate.TransactionException;
import org.junit.jupiter.api.Test;
import org.springframework.orm.jpa.JpaSystemException;
import org.springframework.transaction.CannotCreateTransactionException;

class ErrorResponseInterceptorTest {

    private final ErrorResponseInterceptor interceptor = new ErrorResponseInterceptor(() -> true);

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

        BaseServerResponseException answer =
                new ErrorResponseInterceptor(() -> false).toClientResponse(new SystemRequestDetails(), failure);

        assertThat(answer.getStatusCode()).isEqualTo(503);
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
