package se.patientkontrakt.fhir.document;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.ResponseDetails;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.BundleEntryComponent;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.Composition;
import org.hl7.fhir.r4.model.Reference;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.RestInterceptor;

/**
 * A contract's FHIR document ({@code $document}) as it leaves the server, after the access rules
 * have checked it as stored: every reference between its entries then names the entry by its
 * {@code urn:uuid}, so the document resolves inside itself wherever it is kept (the server's own
 * addresses would be made relative again on the way out, and a copy kept elsewhere has no server);
 * a reference to something the document does not hold keeps only what it says of itself (display,
 * type, identifier). Also inside a batch's answers.
 *
 * <p>Asked for as a PDF ({@code Accept: application/pdf}), the same document is written as one
 * ({@link PdfRenderer}): the Composition's sections in order, the contract's version and date on
 * every page, large type with {@code large-type=true}. Only after every access rule has passed it:
 * the PDF holds exactly what the FHIR document would.
 */
@Component
@Interceptor
class DocumentPresentation implements RestInterceptor {

    static final String APPLICATION_PDF = "application/pdf";

    private final FhirContext fhirContext;
    private final ContractPrint print;

    DocumentPresentation(FhirContext fhirContext, ContractPrint print) {
        this.fhirContext = fhirContext;
        this.print = print;
    }

    @Hook(value = Pointcut.SERVER_OUTGOING_RESPONSE, order = HookOrder.PRESENTATION + 5)
    boolean present(RequestDetails request, ResponseDetails response, HttpServletResponse servlet) throws IOException {
        if (!(response.getResponseResource() instanceof Bundle bundle)) {
            return true;
        }
        selfContained(bundle);
        if (bundle.getType() == Bundle.BundleType.BATCHRESPONSE) {
            bundle.getEntry().stream()
                    .map(BundleEntryComponent::getResource)
                    .filter(Bundle.class::isInstance)
                    .forEach(answer -> selfContained((Bundle) answer));
        }
        if (bundle.getType() != Bundle.BundleType.DOCUMENT
                || !DocumentOperation.NAME.equals(request.getOperation())
                || !wantsPdf(request)) {
            return true;
        }
        Optional<CarePlan> contract = bundle.getEntry().stream()
                .map(BundleEntryComponent::getResource)
                .filter(CarePlan.class::isInstance)
                .map(CarePlan.class::cast)
                .findFirst();
        if (contract.isEmpty()) {
            return true;
        }
        boolean large = largeType(request);
        byte[] pdf = pdf(bundle, contract.get(), large);
        servlet.setStatus(HttpServletResponse.SC_OK);
        servlet.setContentType(APPLICATION_PDF);
        servlet.setContentLength(pdf.length);
        servlet.setHeader(
                "Content-Disposition", "inline; filename=\"" + ContractPrint.fileName(contract.get(), large) + "\"");
        servlet.getOutputStream().write(pdf);
        servlet.getOutputStream().flush();
        return false;
    }

    /** The document as a PDF: the Composition's sections in the document's order. */
    private byte[] pdf(Bundle bundle, CarePlan contract, boolean largeType) {
        Composition composition = (Composition) bundle.getEntryFirstRep().getResource();
        List<ContractPrint.Part> parts = composition.getSection().stream()
                .map(section -> new ContractPrint.Part(
                        section.getTitle(), section.getText().getDivAsString()))
                .toList();
        return print.pdf(contract, composition.getTitle(), parts, largeType);
    }

    /** Asked for with {@code Accept: application/pdf}. */
    static boolean wantsPdf(RequestDetails request) {
        List<String> accept = request.getHeaders("Accept");
        return accept != null
                && accept.stream()
                        .anyMatch(value -> value.toLowerCase(Locale.ROOT).contains(APPLICATION_PDF));
    }

    private static boolean largeType(RequestDetails request) {
        String[] large = request.getParameters().get(DocumentOperation.LARGE_TYPE);
        return large != null && large.length > 0 && "true".equalsIgnoreCase(large[0]);
    }

    private void selfContained(Bundle bundle) {
        if (bundle.getType() != Bundle.BundleType.DOCUMENT) {
            return;
        }
        Map<String, String> names = new HashMap<>();
        for (BundleEntryComponent entry : bundle.getEntry()) {
            IIdType id = entry.getResource().getIdElement();
            if (id.hasResourceType() && id.hasIdPart() && entry.getFullUrl().startsWith("urn:uuid:")) {
                names.put(ContractGraph.key(id), entry.getFullUrl());
            }
        }
        bundle.getEntry().forEach(entry -> fhirContext
                .newTerser()
                .getAllPopulatedChildElementsOfType(entry.getResource(), Reference.class)
                .forEach(reference -> nameInside(reference, names)));
    }

    private static void nameInside(Reference reference, Map<String, String> names) {
        IIdType target = reference.getReferenceElement();
        if (!target.hasIdPart() || !target.hasResourceType() || target.isAbsolute()) {
            return;
        }
        String name = names.get(ContractGraph.key(target));
        if (name != null) {
            reference.setReference(name);
        } else {
            reference.setType(target.getResourceType());
            reference.setReference(null);
        }
    }
}
