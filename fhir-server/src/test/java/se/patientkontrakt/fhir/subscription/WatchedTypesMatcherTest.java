package se.patientkontrakt.fhir.subscription;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.subscription.match.registry.ActiveSubscription;
import ca.uhn.fhir.jpa.subscription.match.registry.SubscriptionRegistry;
import ca.uhn.fhir.jpa.subscription.model.CanonicalSubscription;
import ca.uhn.fhir.jpa.subscription.model.ResourceModifiedMessage;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.messaging.BaseResourceMessage.OperationTypeEnum;
import java.util.List;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Subscription;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The matcher builds a change's message only for a type an active Subscription watches (and for
 * Subscriptions): the message is where the cost is, so the test counts the messages it builds.
 */
class WatchedTypesMatcherTest {

    private static final FhirContext FHIR = FhirContext.forR4Cached();

    private final SubscriptionRegistry registry = mock(SubscriptionRegistry.class);
    private int built;

    /** Stops at building the message: what HAPI does after it needs the whole server. */
    private static final class Built extends RuntimeException {}

    private final WatchedTypesMatcher matcher =
            new WatchedTypesMatcher(FHIR, new WatchedTypesInterceptor(FHIR, registry)) {
                @Override
                protected ResourceModifiedMessage createResourceModifiedMessage(
                        IBaseResource resource, OperationTypeEnum operation, RequestDetails request) {
                    built++;
                    throw new Built();
                }
            };

    @BeforeEach
    void aSubscriptionWatchesCarePlans() {
        CanonicalSubscription subscription = new CanonicalSubscription();
        subscription.setCriteriaString("CarePlan?status=active");
        when(registry.getAll()).thenReturn(List.of(new ActiveSubscription(subscription, "delivery")));
    }

    @Test
    void aChangeToATypeNoSubscriptionWatchesBuildsNoMessage() {
        matcher.resourceCreated(new Patient(), new SystemRequestDetails());
        matcher.resourceDeleted(new Patient(), new SystemRequestDetails(), null);

        assertThat(built).isZero();
    }

    @Test
    void aChangeToAWatchedTypeOrASubscriptionGoesOnToHapisMatcher() {
        assertThatThrownBy(() -> matcher.resourceCreated(new CarePlan(), new SystemRequestDetails()))
                .isInstanceOf(Built.class);
        assertThatThrownBy(() -> matcher.resourceCreated(new Subscription(), new SystemRequestDetails()))
                .isInstanceOf(Built.class);
        assertThat(built).isEqualTo(2);
    }
}
