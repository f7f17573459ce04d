package se.patientkontrakt.fhir.server;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.jpa.subscription.submit.interceptor.SubscriptionMatcherInterceptor;
import ca.uhn.fhir.rest.server.RestfulServer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import se.patientkontrakt.fhir.FhirIT;

/**
 * The running server's interceptors are exactly the ones the pipeline declares: every
 * {@link RestInterceptor} bean on the REST endpoint only, every {@link StorageInterceptor} bean with
 * HAPI's storage interceptor service only, each once, and nothing of this service's registered
 * anywhere else. The one exception is the subscription matcher HAPI's submitter registers itself
 * ({@code subscription/WatchedTypesMatcher}, docs/ARCHITECTURE.md): registered once, with the
 * storage interceptors.
 */
class RequestPipelineIT extends FhirIT {

    private static final String OURS = "se.patientkontrakt.fhir.";

    @Autowired
    private ApplicationContext context;

    @Autowired
    private RestfulServer server;

    @Autowired
    private IInterceptorService storage;

    @Test
    void everyInterceptorIsRegisteredOnceWhereItSaysItBelongs() {
        List<Object> rest = ours(server.getInterceptorService().getAllRegisteredInterceptors());
        List<Object> stored = ours(storage.getAllRegisteredInterceptors());
        assertThat(storage.getAllRegisteredInterceptors())
                .filteredOn(SubscriptionMatcherInterceptor.class::isInstance)
                .singleElement()
                .extracting(i -> i.getClass().getName())
                .isEqualTo(OURS + "subscription.WatchedTypesMatcher");

        assertThat(rest)
                .containsExactlyInAnyOrderElementsOf(
                        context.getBeansOfType(RestInterceptor.class).values());
        assertThat(stored)
                .containsExactlyInAnyOrderElementsOf(
                        context.getBeansOfType(StorageInterceptor.class).values());
        assertThat(rest).doesNotHaveDuplicates().doesNotContainAnyElementsOf(stored);
    }

    private static List<Object> ours(List<Object> interceptors) {
        return interceptors.stream()
                .filter(i -> i.getClass().getName().startsWith(OURS))
                .filter(i -> !(i instanceof SubscriptionMatcherInterceptor))
                .toList();
    }
}
