package se.patientkontrakt.fhir.subscription;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ca.uhn.fhir.broker.api.BrokerListenerClosedException;
import ca.uhn.fhir.jpa.subscription.channel.subscription.SubscriptionInactiveException;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.messaging.MessagingException;
import org.springframework.retry.support.RetryTemplate;

class DeliveryRetryPolicyTest {

    private final RetryTemplate retry = new DeliveryRetryPolicy(Duration.ofMinutes(5)).getRetryTemplate();

    @Test
    void aReceiverThatAnswers500IsWorthAnotherTry() {
        assertThat(DeliveryRetryPolicy.isHopeless(
                        new MessagingException("delivery failed", new InternalErrorException("HTTP 500"))))
                .isFalse();
    }

    @Test
    void aDeletedOrClosedSubscriptionOrAGoneReceiverIsNot() {
        assertThat(DeliveryRetryPolicy.isHopeless(
                        new MessagingException("x", new SubscriptionInactiveException("off"))))
                .isTrue();
        assertThat(DeliveryRetryPolicy.isHopeless(new MessagingException("x", new ResourceGoneException("410"))))
                .isTrue();
        assertThat(DeliveryRetryPolicy.isHopeless(new BrokerListenerClosedException("closed")))
                .isTrue();
    }

    @Test
    void aHopelessDeliveryIsTriedOnceAndGivenUp() {
        AtomicInteger attempts = new AtomicInteger();

        assertThrows(
                MessagingException.class,
                () -> retry.execute(context -> {
                    attempts.incrementAndGet();
                    throw new MessagingException("x", new SubscriptionInactiveException("deleted"));
                }));

        assertThat(attempts).hasValue(1);
    }

    @Test
    void aFailedDeliveryIsTriedAgainUntilItSucceeds() {
        AtomicInteger attempts = new AtomicInteger();

        String result = retry.execute(context -> {
            if (attempts.incrementAndGet() < 2) {
                throw new MessagingException("receiver answered 500");
            }
            return "delivered";
        });

        assertThat(result).isEqualTo("delivered");
        assertThat(attempts).hasValue(2);
    }
}
