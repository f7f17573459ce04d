package se.patientkontrakt.fhir.document;

import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Attachment;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.SearchEntryMode;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DocumentReference;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.Agreement;
import se.patientkontrakt.fhir.contract.Owner;
import se.patientkontrakt.fhir.contract.SwedishIdentifiers;
import se.patientkontrakt.fhir.contract.Vocabulary;
import se.patientkontrakt.fhir.hapi.ResourceLoader;
import se.patientkontrakt.fhir.security.AccessToken;
import se.patientkontrakt.fhir.server.RestProvider;

/**
 * {@code Patient/{id}/$getcareplans} and {@code Patient/$getcareplans?identifier=}: the patient's
 * plans in the national shape NPÖ 2.0 and 1177 Journal 2.0 read care plans in — Inera's EHDS-TK
 * mapping of the RIV-TA service GetCarePlans 2.0 to FHIR (profile SEEHDSCarePlan, published as
 * {@code inera-ehds-care-plan} in EHDS-TK 0.3.3), each with a Provenance per SEEHDSProvenance naming
 * the owning care giver (custodian) and care unit (author).
 *
 * <p>A view, not what is stored: the stored contract keeps its own profile (its category tells a
 * patient contract from other plans, which TypeOfCarePlan cannot), and the national shape adds what
 * only a read for NPÖ has: the source system, the document id, the content rendered for reading.
 * A patient contract is a {@code VP} (vårdplan) there; another plan keeps its own TypeOfCarePlan
 * code (SIP ...). A contract's content comes as XHTML in {@code text} and as a PDF in a contained
 * DocumentReference. Every plan of the patient but drafts, which are not yet documented plans; the
 * access rules decide which of them, and whether the patient, the reader sees, as for any read.
 */
@Component
class GetCarePlansOperation implements RestProvider {

    static final String CARE_PLAN_PROFILE = "https://fhir.inera.se/ig/ehds-tk/StructureDefinition/SEEHDSCarePlan";
    static final String CARE_PLAN_PROFILE_0_3_3 =
            "https://fhir.inera.se/ig/ehds-tk/StructureDefinition/inera-ehds-care-plan";
    static final String PROVENANCE_PROFILE = "https://fhir.inera.se/ig/ehds-tk/StructureDefinition/SEEHDSProvenance";
    static final String PROVENANCE_PROFILE_0_3_3 =
            "https://fhir.inera.se/ig/ehds-tk/StructureDefinition/inera-ehds-provenance";
    static final String APPROVED_FOR_PATIENT =
            "https://fhir.inera.se/ig/ehds-tk/StructureDefinition/approved-for-patient";
    /** The document id of a plan in this source system: its logical id. */
    static final String DOCUMENT_ID = Vocabulary.CANONICAL_BASE + "/sid/careplan";

    private static final String HSA_ID = SwedishIdentifiers.HSA_ID;
    private static final String PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type";

    private final PatientsPlans patients;
    private final ContractGraph graph;
    private final ResourceLoader loader;
    private final NationalProperties national;
    private final ContractPrint print;

    GetCarePlansOperation(
            PatientsPlans patients,
            ContractGraph graph,
            ResourceLoader loader,
            NationalProperties national,
            ContractPrint print) {
        this.patients = patients;
        this.graph = graph;
        this.loader = loader;
        this.national = national;
        this.print = print;
    }

    @Operation(name = "$getcareplans", typeName = "Patient", idempotent = true)
    public Bundle forPatient(@IdParam IdType id, RequestDetails request) {
        return patients.byId(id, GetCarePlansOperation::documented, request, found -> view(found, request));
    }

    @Operation(name = "$getcareplans", typeName = "Patient", idempotent = true)
    public Bundle forIdentifier(
            @OperationParam(name = "identifier", min = 1, max = 1) StringType identifier, RequestDetails request) {
        return patients.byIdentifier(
                identifier, GetCarePlansOperation::documented, request, found -> view(found, request));
    }

    private static boolean documented(CarePlan plan) {
        return plan.getStatus() != CarePlan.CarePlanStatus.DRAFT;
    }

    private Bundle view(PatientsPlans.Found found, RequestDetails request) {
        String base = request.getFhirServerBase();
        Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET);
        Map<String, Resource> around = new LinkedHashMap<>();
        if (found.plans().stream().anyMatch(Agreement::isContract)) {
            // The contracts' content is rendered from what they point to, as the reader may see it.
            around.putAll(graph.around(
                    found.plans().stream().filter(Agreement::isContract).toList(),
                    Set.of(ContractGraph.key(found.patient().getIdElement())),
                    request));
        }
        for (CarePlan plan : found.plans()) {
            bundle.addEntry()
                    .setFullUrl(DocumentOperation.absolute(base, plan))
                    .setResource(national(plan, found.patient(), around, base))
                    .getSearch()
                    .setMode(SearchEntryMode.MATCH);
        }
        bundle.setTotal(found.plans().size());
        if (found.plans().isEmpty()) {
            return bundle;
        }
        // The patient boundary shows a patient no Provenance: their own call gets the plans alone.
        boolean patientsOwnCall =
                AccessToken.of(request).filter(AccessToken::patientToken).isPresent();
        for (CarePlan plan : patientsOwnCall ? List.<CarePlan>of() : found.plans()) {
            provenance(plan).ifPresent(provenance -> bundle.addEntry()
                    .setFullUrl("urn:uuid:" + provenance.getIdElement().getIdPart())
                    .setResource(provenance)
                    .getSearch()
                    .setMode(SearchEntryMode.INCLUDE));
        }
        bundle.addEntry()
                .setFullUrl(DocumentOperation.absolute(base, found.patient()))
                .setResource(found.patient())
                .getSearch()
                .setMode(SearchEntryMode.INCLUDE);
        for (Resource author : authors(found.plans(), around, request)) {
            bundle.addEntry()
                    .setFullUrl(DocumentOperation.absolute(base, author))
                    .setResource(author)
                    .getSearch()
                    .setMode(SearchEntryMode.INCLUDE);
        }
        return bundle;
    }

    /** The plan as SEEHDSCarePlan. */
    private CarePlan national(CarePlan plan, Patient patient, Map<String, Resource> around, String base) {
        CarePlan view = new CarePlan();
        view.setId(new IdType("CarePlan", plan.getIdElement().getIdPart()));
        view.getMeta()
                .setVersionId(plan.getMeta().getVersionId())
                .setLastUpdated(plan.getMeta().getLastUpdated())
                .setSource(source(base))
                .addProfile(CARE_PLAN_PROFILE)
                .addProfile(CARE_PLAN_PROFILE_0_3_3);
        // Who owns it (PDL): the same labels as stored, which the access rules read on the way out.
        plan.getMeta().getSecurity().forEach(label -> view.getMeta().addSecurity(label.copy()));
        view.addIdentifier(new Identifier()
                .setSystem(DOCUMENT_ID)
                .setValue(plan.getIdElement().getIdPart()));
        plan.getIdentifier().forEach(identifier -> view.addIdentifier(identifier.copy()));
        view.addExtension(new Extension(APPROVED_FOR_PATIENT, new BooleanType(approvedForPatient(plan))));
        view.setStatus(plan.getStatus());
        view.setIntent(plan.getIntent());
        view.addCategory(category(plan));
        view.setTitle(plan.hasTitle() ? plan.getTitle() : Agreement.isContract(plan) ? "Patientkontrakt" : "Plan");
        if (plan.hasDescription()) {
            view.setDescription(plan.getDescription());
        }
        if (plan.hasPeriod()) {
            view.setPeriod(plan.getPeriod().copy());
        }
        if (plan.hasCreated()) {
            view.setCreatedElement(plan.getCreatedElement().copy());
        }
        Reference subject = plan.getSubject().copy();
        patient.getIdentifier().stream()
                .filter(identifier -> SwedishIdentifiers.isPersonalNumberSystem(identifier.getSystem()))
                .findFirst()
                .ifPresent(identifier -> subject.setIdentifier(identifier.copy()));
        view.setSubject(subject);
        author(plan).ifPresent(view::setAuthor);
        plan.getContributor().forEach(contributor -> view.addContributor(contributor.copy()));
        plan.getNote().forEach(note -> view.addNote(note.copy()));
        if (Agreement.isContract(plan)) {
            List<ContractSections.Section> sections = ContractSections.of(plan, around);
            view.setText(DocumentOperation.narrative(ContractSections.html(plan, sections)));
            view.addSupportingInfo(new Reference(printed(plan, view.getTitle(), sections, base)));
        } else {
            view.setText(DocumentOperation.narrative(ContractSections.div("<h1>"
                    + ContractSections.escape(view.getTitle()) + "</h1>"
                    + (plan.hasDescription() ? "<p>" + ContractSections.escape(plan.getDescription()) + "</p>" : ""))));
        }
        return view;
    }

    /**
     * The contract as a PDF, GetCarePlans' {@code content} with {@code mediaType} application/pdf:
     * in the answer itself up to {@value ContractPrint#MAX_INLINE_BYTES} bytes, as Inera's mapping
     * allows, else by its address ({@code $document} asked for as a PDF). Carried as a contained
     * DocumentReference the plan names in {@code supportingInfo}: FHIR R4's CarePlan has no place
     * for multimedia content, and EHDS-TK leaves the choice open (its issue CP-001).
     */
    private DocumentReference printed(
            CarePlan plan, String title, List<ContractSections.Section> sections, String base) {
        byte[] pdf = print.pdf(
                plan,
                title,
                sections.stream()
                        .map(section -> new ContractPrint.Part(section.title(), ContractSections.div(section.body())))
                        .toList(),
                false);
        DocumentReference content = new DocumentReference();
        content.setStatus(Enumerations.DocumentReferenceStatus.CURRENT);
        content.getType().setText("Patientkontrakt (PDF)");
        Attachment attachment = content.addContent()
                .getAttachment()
                .setContentType(DocumentPresentation.APPLICATION_PDF)
                .setLanguage("sv")
                .setTitle(ContractPrint.fileName(plan, false));
        if (pdf.length <= ContractPrint.MAX_INLINE_BYTES) {
            attachment.setData(pdf).setSize(pdf.length);
        } else {
            attachment.setUrl(base + "/CarePlan/" + plan.getIdElement().getIdPart() + "/$document");
        }
        return content;
    }

    private String source(String base) {
        return national.sourceSystemHsaId().isBlank()
                ? base
                : "https://tjanstekatalogen.inera.se/Endpoint/" + national.sourceSystemHsaId();
    }

    private static boolean approvedForPatient(CarePlan plan) {
        Extension approved = plan.getExtensionByUrl(Vocabulary.APPROVED_FOR_PATIENT);
        return approved != null
                && approved.getValue() instanceof BooleanType value
                && Boolean.TRUE.equals(value.getValue());
    }

    /** TypeOfCarePlan: VP for a patient contract, the plan's own code for another plan. */
    private static CodeableConcept category(CarePlan plan) {
        Optional<Coding> own = plan.getCategory().stream()
                .flatMap(category -> category.getCoding().stream())
                .filter(coding -> Vocabulary.TYPE_OF_CARE_PLAN.equals(coding.getSystem()))
                .findFirst();
        if (own.isPresent()) {
            return new CodeableConcept(new Coding(
                            Vocabulary.TYPE_OF_CARE_PLAN,
                            own.get().getCode(),
                            own.get().getCode()))
                    .setText(own.get().getDisplay());
        }
        // The code alone: beside a coding of another system, HAPI's validator (HL7 core 6.7.9) finds
        // "none of the codings in the value set" for TypeOfCarePlan, so a consumer checking the
        // required binding would refuse the plan. The title says it is a patient contract.
        CodeableConcept category = new CodeableConcept(new Coding(Vocabulary.TYPE_OF_CARE_PLAN, "VP", "VP"));
        category.setText(Agreement.isContract(plan) ? "Vårdplan: patientkontrakt" : "Vårdplan");
        return category;
    }

    /** The plan's author when it is a PractitionerRole or an Organization; otherwise its owning unit. */
    private static Optional<Reference> author(CarePlan plan) {
        IIdType author = plan.getAuthor().getReferenceElement();
        if (author.hasIdPart() && List.of("PractitionerRole", "Organization").contains(author.getResourceType())) {
            return Optional.of(plan.getAuthor().copy());
        }
        return Owner.of(plan).map(owner -> new Reference()
                .setType("Organization")
                .setIdentifier(new Identifier().setSystem(HSA_ID).setValue(owner.unit())));
    }

    /** The authors the reader may see: already loaded with the contracts, or loaded now. */
    private List<Resource> authors(List<CarePlan> plans, Map<String, Resource> around, RequestDetails request) {
        Map<String, IIdType> wanted = plans.stream()
                .map(GetCarePlansOperation::author)
                .flatMap(Optional::stream)
                .map(Reference::getReferenceElement)
                .filter(IIdType::hasIdPart)
                .collect(Collectors.toMap(
                        ContractGraph::key, IIdType::toUnqualifiedVersionless, (a, b) -> a, LinkedHashMap::new));
        List<Resource> authors = wanted.keySet().stream()
                .map(around::get)
                .filter(java.util.Objects::nonNull)
                .collect(Collectors.toList());
        List<IIdType> missing = wanted.entrySet().stream()
                .filter(entry -> !around.containsKey(entry.getKey()))
                .map(Map.Entry::getValue)
                .toList();
        if (!missing.isEmpty()) {
            authors.addAll(loader.show(loader.loadStored(loader.keysOf(missing), request), request));
        }
        return authors;
    }

    /**
     * The plan's owner as SEEHDSProvenance: custodian = the care giver, author = the care unit, by
     * HSA-id, for the version shown. None for a plan without an owner (written before ownership was
     * recorded, by a client that set none).
     */
    private static Optional<Provenance> provenance(CarePlan plan) {
        return Owner.of(plan).map(owner -> {
            Provenance provenance = new Provenance();
            String target = "CarePlan/" + plan.getIdElement().getIdPart() + "/_history/"
                    + plan.getMeta().getVersionId();
            provenance.setId(new IdType(
                    "Provenance",
                    UUID.nameUUIDFromBytes(("Provenance " + target).getBytes(StandardCharsets.UTF_8))
                            .toString()));
            provenance.getMeta().addProfile(PROVENANCE_PROFILE).addProfile(PROVENANCE_PROFILE_0_3_3);
            provenance.addTarget(new Reference(target));
            provenance.setRecorded(plan.getMeta().getLastUpdated());
            provenance
                    .addAgent()
                    .setType(new CodeableConcept(new Coding(PARTICIPANT_TYPE, "custodian", "Custodian")))
                    .setWho(new Reference()
                            .setType("Organization")
                            .setIdentifier(new Identifier().setSystem(HSA_ID).setValue(owner.careGiver())));
            provenance
                    .addAgent()
                    .setType(new CodeableConcept(new Coding(PARTICIPANT_TYPE, "author", "Author")))
                    .setWho(new Reference()
                            .setType("Organization")
                            .setIdentifier(new Identifier().setSystem(HSA_ID).setValue(owner.unit())));
            return provenance;
        });
    }
}
