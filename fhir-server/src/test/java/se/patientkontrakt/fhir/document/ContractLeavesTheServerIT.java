package se.patientkontrakt.fhir.document;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.text.PDFTextStripper;
import org.hl7.fhir.r4.model.Attachment;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.BundleEntryComponent;
import org.hl7.fhir.r4.model.Bundle.SearchEntryMode;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.Composition;
import org.hl7.fhir.r4.model.DocumentReference;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.FhirIT;
import se.patientkontrakt.fhir.conformance.NationalDefinitions;

/**
 * The contract in the national shape ({@code $getcareplans}, validated against Inera's EHDS-TK
 * offline) and as a FHIR document ({@code $document}), on the example personas.
 */
class ContractLeavesTheServerIT extends FhirIT {

    private static final String PERSONNUMMER = "http://electronichealth.se/identifier/personnummer";
    private static final List<String> SECTIONS = List.of(
            "Vad är viktigt för mig",
            "Vårt gemensamma mål",
            "Det här gör jag",
            "Det här gör vården",
            "Om det blir sämre",
            "Mina fasta kontakter och hur jag når dem",
            "Nästa steg",
            "Uppföljning",
            "Mina andra planer",
            "Överenskommelsen");

    @Test
    void esthersPlansComeInTheNationalShapeAndValidateAgainstEhdsTk() throws IOException {
        Bundle view = read("/Patient/esther-andersson/$getcareplans", Bundle.class);

        assertThat(ids(view, SearchEntryMode.MATCH))
                .containsExactlyInAnyOrder(
                        "CarePlan/esther-andersson-patientkontrakt", "CarePlan/esther-andersson-sip");
        assertThat(view.getTotal()).isEqualTo(2);
        for (CarePlan plan : resources(view, CarePlan.class)) {
            assertThat(NationalDefinitions.errors(json(plan), NationalDefinitions.INERA_CARE_PLAN))
                    .as("%s against inera-ehds-care-plan", plan.getIdElement().getIdPart())
                    .isEmpty();
            assertThat(plan.getMeta().getProfile())
                    .extracting(p -> p.getValue())
                    .contains(GetCarePlansOperation.CARE_PLAN_PROFILE, NationalDefinitions.INERA_CARE_PLAN);
            assertThat(plan.getIdentifierFirstRep().getSystem()).isEqualTo(GetCarePlansOperation.DOCUMENT_ID);
            assertThat(plan.getIdentifierFirstRep().getValue())
                    .isEqualTo(plan.getIdElement().getIdPart());
            assertThat(plan.getMeta().getSource()).isNotBlank();
            assertThat(plan.getSubject().getIdentifier().getValue()).isEqualTo("194205142484");
            assertThat(plan.getExtensionByUrl(GetCarePlansOperation.APPROVED_FOR_PATIENT))
                    .isNotNull();
        }
        CarePlan contract = plan(view, "esther-andersson-patientkontrakt");
        assertThat(contract.getCategoryFirstRep().getCoding())
                .extracting(c -> c.getSystem() + "|" + c.getCode())
                .contains("https://fhir.inera.se/CodeSystem/typeofcareplan-cs|VP");
        assertThat(plan(view, "esther-andersson-sip")
                        .getCategoryFirstRep()
                        .getCodingFirstRep()
                        .getCode())
                .isEqualTo("SIP");
        // The content as a PDF too (GetCarePlans' content, application/pdf), inside the answer.
        assertThat(contract.getContained()).singleElement().isInstanceOf(DocumentReference.class);
        Attachment pdf = ((DocumentReference) contract.getContained().get(0))
                .getContentFirstRep()
                .getAttachment();
        assertThat(pdf.getContentType()).isEqualTo("application/pdf");
        assertThat(pdf.getData()).hasSizeLessThanOrEqualTo(100 * 1024);
        try (PDDocument printed = Loader.loadPDF(pdf.getData())) {
            assertThat(new PDFTextStripper().getText(printed)).contains("Vad är viktigt för mig", "Esther");
        }
        String html = contract.getText().getDivAsString();
        assertThat(html).contains(SECTIONS);
        assertThat(html)
                .contains("Maria Lind", "070-174 06 11", "SIP – Esther Andersson", "Överenskommet 2026-10-02 (papper)");

        List<Provenance> provenances = resources(view, Provenance.class);
        assertThat(provenances).hasSize(2);
        for (Provenance provenance : provenances) {
            assertThat(NationalDefinitions.errors(json(provenance), NationalDefinitions.INERA_PROVENANCE))
                    .isEmpty();
        }
        assertThat(provenances)
                .flatExtracting(Provenance::getTarget)
                .extracting(Reference::getReference)
                .containsExactlyInAnyOrder(
                        "CarePlan/esther-andersson-patientkontrakt/_history/"
                                + contract.getMeta().getVersionId(),
                        "CarePlan/esther-andersson-sip/_history/"
                                + plan(view, "esther-andersson-sip").getMeta().getVersionId());
        assertThat(ids(view, SearchEntryMode.INCLUDE)).contains("Patient/esther-andersson");
        assertThat(resources(view, Patient.class)).singleElement().satisfies(patient -> assertThat(
                        NationalDefinitions.errors(json(patient), NationalDefinitions.INERA_PATIENT))
                .as("the patient against inera-ehds-patient")
                .isEmpty());
    }

    @Test
    void theNationalViewIsAskedForByPersonnummerToo() {
        Bundle view = read("/Patient/$getcareplans?identifier=" + PERSONNUMMER + "|195109031376", Bundle.class);

        assertThat(ids(view, SearchEntryMode.MATCH)).contains("CarePlan/goran-karlsson-patientkontrakt");
        assertThat(ids(view, SearchEntryMode.INCLUDE))
                .contains("Patient/goran-karlsson", "PractitionerRole/erik-holm-ortopedkliniken-oskarshamn");
    }

    @Test
    void anUnknownPersonnummerIsNotFound() {
        Response response = fhir().when().get("/Patient/$getcareplans?identifier=" + PERSONNUMMER + "|190001019806");

        response.then().statusCode(404);
        assertThat(diagnostics(response)).contains("No patient with identifier");
    }

    @Test
    void goransContractIsADocumentThatReadsOnItsOwn() {
        Response response = fhir().when().get("/CarePlan/goran-karlsson-patientkontrakt/$document");
        response.then().statusCode(200);
        Bundle document = parse(response, Bundle.class);

        assertThat(document.getType()).isEqualTo(Bundle.BundleType.DOCUMENT);
        assertThat(NationalDefinitions.errors(response.asString())).isEmpty();
        Composition composition = (Composition) document.getEntryFirstRep().getResource();
        assertThat(composition.getSection())
                .extracting(Composition.SectionComponent::getTitle)
                .containsExactlyElementsOf(SECTIONS);
        Set<String> fullUrls = document.getEntry().stream()
                .map(BundleEntryComponent::getFullUrl)
                .collect(Collectors.toSet());
        List<Reference> references = new java.util.ArrayList<>();
        references.add(composition.getSubject());
        references.addAll(composition.getAuthor());
        composition.getSection().forEach(section -> references.addAll(section.getEntry()));
        assertThat(references).extracting(Reference::getReference).allSatisfy(reference -> assertThat(fullUrls)
                .contains(reference));
        assertThat(ids(document))
                .contains(
                        "CarePlan/goran-karlsson-patientkontrakt",
                        "Patient/goran-karlsson",
                        "CareTeam/goran-karlsson-kontaktteam",
                        "Goal/goran-karlsson-vad-ar-viktigt",
                        "Goal/goran-karlsson-gemensamt-mal",
                        "PractitionerRole/erik-holm-ortopedkliniken-oskarshamn",
                        "Practitioner/erik-holm",
                        "Organization/ortopedkliniken-oskarshamn");
        assertThat(composition.getSection().get(0).getText().getDivAsString())
                .contains("Att kunna gå i skogen och plocka svamp");
        assertThat(composition.getAttesterFirstRep().getMode())
                .isEqualTo(Composition.CompositionAttestationMode.PERSONAL);

        Bundle again = read("/CarePlan/goran-karlsson-patientkontrakt/$document", Bundle.class);
        assertThat(again.getIdentifier().getValue())
                .as("the same version makes the same document")
                .isEqualTo(document.getIdentifier().getValue());
    }

    @Test
    void theDocumentPrintsAsAnAccessiblePdfWithEverySectionAndTheVersion() throws IOException {
        CarePlan stored = read("/CarePlan/goran-karlsson-patientkontrakt", CarePlan.class);
        Response response =
                fhir().accept("application/pdf").when().get("/CarePlan/goran-karlsson-patientkontrakt/$document");

        response.then().statusCode(200).contentType("application/pdf");
        int pages;
        try (PDDocument pdf = Loader.loadPDF(response.asByteArray())) {
            PDFTextStripper stripper = new PDFTextStripper();
            stripper.setSortByPosition(true);
            String text = stripper.getText(pdf);
            assertThat(text)
                    .contains(SECTIONS)
                    .contains("Patientkontrakt för Göran Karlsson – ny höftled")
                    .contains("Att kunna gå i skogen och plocka svamp")
                    .contains("Överenskommet 2026-09-28 (muntligt) av Göran Karlsson")
                    .contains("version " + stored.getMeta().getVersionId());
            for (int page = 1; page <= pdf.getNumberOfPages(); page++) {
                stripper.setStartPage(page);
                stripper.setEndPage(page);
                assertThat(stripper.getText(pdf))
                        .as("page %d", page)
                        .contains("version " + stored.getMeta().getVersionId());
            }
            assertThat(pdf.getDocumentCatalog().getMarkInfo().isMarked())
                    .as("tagged")
                    .isTrue();
            assertThat(pdf.getDocumentCatalog().getLanguage()).isEqualTo("sv");
            pages = pdf.getNumberOfPages();
        }
        Response large = fhir().accept("application/pdf")
                .when()
                .get("/CarePlan/goran-karlsson-patientkontrakt/$document?large-type=true");
        try (PDDocument pdf = Loader.loadPDF(large.asByteArray())) {
            assertThat(pdf.getNumberOfPages()).as("large type").isGreaterThan(pages);
        }

        Response sip = fhir().accept("application/pdf").when().get("/CarePlan/esther-andersson-sip/$document");
        sip.then().statusCode(400);
        assertThat(sip.contentType()).doesNotContain("pdf");
    }

    @Test
    void aPlanThatIsNoContractIsNoDocumentAndAnUnknownOneIsNotFound() {
        Response sip = fhir().when().get("/CarePlan/esther-andersson-sip/$document");
        sip.then().statusCode(400);
        assertThat(diagnostics(sip)).contains("is not a patient contract");

        fhir().when().get("/CarePlan/finns-inte/$document").then().statusCode(404);
        fhir().when().get("/Goal/goran-karlsson-gemensamt-mal/$document").then().statusCode(400);
    }

    private static List<String> ids(Bundle bundle) {
        return bundle.getEntry().stream()
                .map(BundleEntryComponent::getResource)
                .filter(resource -> resource.getIdElement().hasResourceType() || !(resource instanceof Composition))
                .map(resource ->
                        resource.fhirType() + "/" + resource.getIdElement().getIdPart())
                .toList();
    }

    private static <T extends Resource> List<T> resources(Bundle bundle, Class<T> type) {
        return bundle.getEntry().stream()
                .map(BundleEntryComponent::getResource)
                .filter(type::isInstance)
                .map(type::cast)
                .toList();
    }

    private static CarePlan plan(Bundle bundle, String id) {
        return resources(bundle, CarePlan.class).stream()
                .filter(plan -> plan.getIdElement().getIdPart().equals(id))
                .findFirst()
                .orElseThrow();
    }
}
