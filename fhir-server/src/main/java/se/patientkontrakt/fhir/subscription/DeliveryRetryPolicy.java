package se.patientkontrakt.fhir.subscription;

import ca.uhn.fhir.broker.api.BrokerListenerClosedException;
import ca.uhn.fhir.jpa.subscription.channel.impl.RetryPolicyProvider;
import ca.uhn.fhir.jpa.subscription.channel.subscription.SubscriptionInactiveException;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import java.time.Duration;
import org.springframework.retry.RetryContext;
import org.springframework.retry.RetryPolicy;
import org.springframework.retry.backoff.BackOffPolicy;
import org.springframework.retry.backoff.ExponentialBackOffPolicy;
import org.springframework.retry.policy.TimeoutRetryPolicy;

/**
 * How HAPI's in-process channels try again when handling a message failed: above all a rest-hook
 * delivery the receiver did not take (connection refused, time-out, an answer other than 2xx).
 * HAPI's own policy gives up after one minute, shorter than a receiver's restart or redeployment
 * may take. Here the waits double from 1 s up to 1 min, for as long as {@code retry-for} says;
 * then the notification is dropped and logged.
 *
 * <p>No retry when trying again cannot help: the Subscription was deleted or switched off in
 * the meantime ({@link SubscriptionInactiveException}, {@link ResourceGoneException} when HAPI
 * re-reads it, {@link BrokerListenerClosedException} once its channel is closed), or the receiver
 * answered {@code 410 Gone}.
 *
 * <p>HAPI's {@code http://hapifhir.io/fhir/StructureDefinition/subscription-delivery-retry-count}
 * channel extension is read by HAPI 8.8 but honoured only by external message brokers, not by the
 * in-memory channels this server uses; this policy is what governs retries here. It applies to
 * every in-memory channel (matching, delivery, and Batch2 job notifications), each message on a
 * thread of its own channel.
 */
class DeliveryRetryPolicy extends RetryPolicyProvider {

    private static final long FIRST_WAIT_MILLIS = 1_000;
    private static final long LONGEST_WAIT_MILLIS = 60_000;

    private final Duration retryFor;

    DeliveryRetryPolicy(Duration retryFor) {
        this.retryFor = retryFor;
    }

    @Override
    protected RetryPolicy retryPolicy() {
        return new TimeoutRetryPolicy(retryFor.toMillis()) {
            @Override
            public boolean canRetry(RetryContext context) {
                return !isHopeless(context.getLastThrowable()) && super.canRetry(context);
            }
        };
    }

    @Override
    protected BackOffPolicy backOffPolicy() {
        ExponentialBackOffPolicy backOff = new ExponentialBackOffPolicy();
        backOff.setInitialInterval(FIRST_WAIT_MILLIS);
        backOff.setMultiplier(2);
        backOff.setMaxInterval(LONGEST_WAIT_MILLIS);
        return backOff;
    }

    static boolean isHopeless(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SubscriptionInactiveException
                    || t instanceof ResourceGoneException
                    || t instanceof BrokerListenerClosedException) {
                return true;
            }
        }
        return false;
    }
}
