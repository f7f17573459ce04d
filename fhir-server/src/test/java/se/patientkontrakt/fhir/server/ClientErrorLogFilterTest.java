package se.patientkontrakt.fhir.server;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ClientErrorLogFilterTest {

    private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    private final Logger hapi = context.getLogger(ClientErrorLogFilter.HAPI_INTERCEPTORS);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private ClientErrorLogFilter filter;

    @BeforeEach
    void listen() {
        logged.start();
        hapi.addAppender(logged);
        context.getLogger(ClientErrorLogFilter.class).addAppender(logged);
        filter = new ClientErrorLogFilter();
    }

    @AfterEach
    void stopListening() {
        filter.destroy();
        hapi.detachAppender(logged);
        context.getLogger(ClientErrorLogFilter.class).detachAppender(logged);
    }

    @Test
    void aClientErrorThrownByAnInterceptorIsOneInfoLineWithoutItsStack() {
        UnprocessableEntityException refusal = new UnprocessableEntityException("CarePlan.subject: minimum 1");
        hapi.error("Exception thrown by interceptor", refusal);
        hapi.error(
                "Exception thrown by interceptor for pointcut {}: {}",
                "STORAGE_PRECOMMIT",
                refusal.toString(),
                refusal);

        assertThat(logged.list).hasSize(2).allSatisfy(event -> {
            assertThat(event.getLevel()).isEqualTo(Level.INFO);
            assertThat(event.getFormattedMessage()).isEqualTo("Request answered 422: CarePlan.subject: minimum 1");
            assertThat(event.getThrowableProxy()).isNull();
        });
    }

    @Test
    void aServerErrorOrAnyOtherExceptionIsStillAnErrorWithItsStack() {
        hapi.error("Exception thrown by interceptor", new InternalErrorException("broken"));
        hapi.error("Exception thrown by interceptor", new IllegalStateException("broken"));
        InternalErrorException broken = new InternalErrorException("broken");
        hapi.error(
                "Exception thrown by interceptor for pointcut {}: {}", "STORAGE_PRECOMMIT", broken.toString(), broken);

        assertThat(logged.list).hasSize(3).allSatisfy(event -> {
            assertThat(event.getLevel()).isEqualTo(Level.ERROR);
            assertThat(event.getThrowableProxy()).isNotNull();
        });
    }

    /**
     * Two application contexts in one JVM, as in the test suite: the second one's start empties
     * Logback's filter list, and its end must not leave the first one's requests unfiltered.
     */
    @Test
    void aContextThatClosesLeavesTheFilterToTheOneStillRunning() {
        context.resetTurboFilterList(); // what Spring Boot does when the second context starts
        ClientErrorLogFilter second = new ClientErrorLogFilter();
        second.destroy();

        hapi.error("Exception thrown by interceptor", new UnprocessableEntityException("CarePlan.subject: minimum 1"));

        assertThat(logged.list).singleElement().satisfies(e -> assertThat(e.getLevel())
                .isEqualTo(Level.INFO));
        assertThat(ClientErrorLogFilter.installed(context)).isTrue();
    }

    @Test
    void theLastContextToCloseTakesTheFilterOut() {
        filter.destroy();
        filter = new ClientErrorLogFilter(); // stopListening destroys it again

        assertThat(ClientErrorLogFilter.installed(context)).isTrue();
        filter.destroy();
        assertThat(ClientErrorLogFilter.installed(context)).isFalse();
        filter = new ClientErrorLogFilter();
    }

    @Test
    void otherLoggersAreLeftAlone() {
        Logger other = context.getLogger("se.patientkontrakt.fhir.somewhere");
        other.addAppender(logged);
        try {
            other.error("refused", new ForbiddenOperationException("no"));
        } finally {
            other.detachAppender(logged);
        }

        assertThat(logged.list).singleElement().satisfies(e -> assertThat(e.getLevel())
                .isEqualTo(Level.ERROR));
    }
}
