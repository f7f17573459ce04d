package se.patientkontrakt.fhir.subscription;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.subscription.match.registry.ActiveSubscription;
import ca.uhn.fhir.jpa.subscription.match.registry.SubscriptionRegistry;
import ca.uhn.fhir.jpa.subscription.model.CanonicalSubscription;
import ca.uhn.fhir.jpa.subscription.model.ResourceModifiedMessage;
import ca.uhn.fhir.rest.server.messaging.BaseResourceMessage.OperationTypeEnum;
import java.util.Arrays;
import java.util.List;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Subscription;
import org.junit.jupiter.api.Test;

class WatchedTypesInterceptorTest {

    private static final FhirContext FHIR = FhirContext.forR4Cached();

    private final SubscriptionRegistry registry = mock(SubscriptionRegistry.class);
    private final WatchedTypesInterceptor interceptor = new WatchedTypesInterceptor(FHIR, registry);

    private void activeSubscriptions(String... criteria) {
        List<ActiveSubscription> active = Arrays.stream(criteria)
                .map(c -> {
                    CanonicalSubscription subscription = new CanonicalSubscription();
                    subscription.setCriteriaString(c);
                    return new ActiveSubscription(subscription, "delivery-" + c);
                })
                .toList();
        when(registry.getAll()).thenReturn(active);
    }

    private boolean recorded(IBaseResource resource) {
        resource.setId(FHIR.getResourceType(resource) + "/1");
        return interceptor.recordIfWatched(new ResourceModifiedMessage(FHIR, resource, OperationTypeEnum.UPDATE));
    }

    @Test
    void withoutSubscriptionsOnlySubscriptionChangesAreRecorded() {
        activeSubscriptions();

        assertThat(recorded(new Patient())).isFalse();
        assertThat(recorded(new CarePlan())).isFalse();
        assertThat(recorded(new Subscription())).isTrue();
    }

    @Test
    void changesToAWatchedTypeAreRecordedWhateverTheSearch() {
        activeSubscriptions("CarePlan?subject=Patient/goran-karlsson", "CareTeam");

        assertThat(recorded(new CarePlan())).isTrue();
        assertThat(recorded(new CareTeam())).isTrue();
        assertThat(recorded(new Patient())).isFalse();
    }

    @Test
    void multiTypeAndStarCriteriaWatchTheirTypes() {
        activeSubscriptions("[CarePlan,CareTeam]");
        assertThat(recorded(new CareTeam())).isTrue();
        assertThat(recorded(new Patient())).isFalse();

        activeSubscriptions("[*]");
        assertThat(recorded(new Patient())).isTrue();
    }
}
