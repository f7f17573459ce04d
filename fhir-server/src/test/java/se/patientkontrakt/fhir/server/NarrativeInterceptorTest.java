package se.patientkontrakt.fhir.server;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

class NarrativeInterceptorTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withBean(FhirContext.class, FhirContext::forR4Cached)
            .withUserConfiguration(NarrativeInterceptor.class);

    @Test
    void narrativeIsOnByDefault() {
        runner.run(context -> assertThat(context).hasSingleBean(NarrativeInterceptor.class));
    }

    @Test
    void narrativeCanBeTurnedOff() {
        runner.withPropertyValues("patientkontrakt.server.narrative=false")
                .run(context -> assertThat(context).doesNotHaveBean(NarrativeInterceptor.class));
    }
}
