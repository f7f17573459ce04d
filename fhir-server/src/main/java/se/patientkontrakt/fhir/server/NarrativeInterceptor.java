package se.patientkontrakt.fhir.server;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.narrative.DefaultThymeleafNarrativeGenerator;
import ca.uhn.fhir.narrative.INarrativeGenerator;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.ResponseDetails;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DomainResource;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * Adds a generated narrative ({@code text}) to resources in responses that carry none, so a
 * human reading a response (or a portal that shows {@code text.div}) sees something readable.
 * Only responses are touched, never what is stored. Off with
 * {@code patientkontrakt.server.narrative=false}; skipped when the client asked for a subset
 * with {@code _summary} or {@code _elements}.
 */
@Component
@Interceptor
@ConditionalOnProperty(name = "patientkontrakt.server.narrative", havingValue = "true", matchIfMissing = true)
class NarrativeInterceptor implements RestInterceptor {

    private final FhirContext fhirContext;
    private final INarrativeGenerator generator = new DefaultThymeleafNarrativeGenerator();

    NarrativeInterceptor(FhirContext fhirContext) {
        this.fhirContext = fhirContext;
    }

    @Hook(value = Pointcut.SERVER_OUTGOING_RESPONSE, order = HookOrder.PRESENTATION + 10)
    void addNarrative(RequestDetails request, ResponseDetails response) {
        if (request.getParameters().containsKey(Constants.PARAM_SUMMARY)
                || request.getParameters().containsKey(Constants.PARAM_ELEMENTS)) {
            return;
        }
        IBaseResource resource = response.getResponseResource();
        if (resource instanceof Bundle bundle) {
            bundle.getEntry().forEach(entry -> generate(entry.getResource()));
        } else {
            generate(resource);
        }
    }

    private void generate(IBaseResource resource) {
        if (resource instanceof DomainResource domain
                && domain.getText().getDiv().isEmpty()) {
            generator.populateResourceNarrative(fhirContext, domain);
        }
    }
}
