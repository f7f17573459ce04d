package se.patientkontrakt.fhir.document;

import ca.uhn.fhir.i18n.Msg;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Composition;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Narrative;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.Type;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.Agreement;
import se.patientkontrakt.fhir.contract.Owner;
import se.patientkontrakt.fhir.contract.SwedishIdentifiers;
import se.patientkontrakt.fhir.contract.Vocabulary;
import se.patientkontrakt.fhir.hapi.ResourceLoader;
import se.patientkontrakt.fhir.server.RestProvider;

/**
 * {@code CarePlan/{id}/$document}: a patient contract as a FHIR document that reads on its own,
 * the way the International Patient Summary's {@code $summary} gives a patient summary. The Bundle
 * (type {@code document}) starts with a Composition whose sections follow the contract
 * ({@link ContractSections}), then holds the contract and everything it points to that the reader
 * may see ({@link ContractGraph}): the patient, the contact team, goals, the fixed contacts and
 * their organisations, the other plans. The document's identifier is derived from the contract's
 * id and version, so the same version always makes the same document.
 *
 * <p>A contract the reader may not read answers as its read does (404); a CarePlan that is not a
 * patient contract (a SIP, a plan of another kind) answers 400.
 */
@Component
public class DocumentOperation implements RestProvider {

    private static final String HSA_ID = SwedishIdentifiers.HSA_ID;

    private final DaoRegistry daoRegistry;
    private final ResourceLoader loader;
    private final ContractGraph graph;

    DocumentOperation(DaoRegistry daoRegistry, ResourceLoader loader, ContractGraph graph) {
        this.daoRegistry = daoRegistry;
        this.loader = loader;
        this.graph = graph;
    }

    static final String NAME = "$document";

    /** For the PDF: larger type and more line spacing. */
    static final String LARGE_TYPE = "large-type";

    @Operation(name = NAME, typeName = "CarePlan", idempotent = true)
    public Bundle document(
            @IdParam IdType id,
            @OperationParam(name = LARGE_TYPE, min = 0, max = 1) BooleanType largeType,
            RequestDetails request) {
        // A read: the access rules answer for the contract exactly as they answer a GET of it.
        CarePlan contract = readAsAGetWould(daoRegistry, CarePlan.class, id, request);
        if (!Agreement.isContract(contract)) {
            throw new InvalidRequestException("CarePlan/" + id.getIdPart()
                    + " is not a patient contract (category " + Vocabulary.CAREPLAN_CATEGORY + "|"
                    + Vocabulary.CATEGORY_PATIENTKONTRAKT + "): $document assembles patient contracts only");
        }
        Map<String, Resource> around =
                loader.inReadOnlyTransaction(request, () -> graph.around(List.of(contract), Set.of(), request));
        List<ContractSections.Section> sections = ContractSections.of(contract, around);

        Bundle bundle = new Bundle().setType(Bundle.BundleType.DOCUMENT);
        String version = contract.getMeta().getVersionId();
        String documentId = UUID.nameUUIDFromBytes(
                        ("document of CarePlan/" + contract.getIdElement().getIdPart() + "/_history/" + version)
                                .getBytes(StandardCharsets.UTF_8))
                .toString();
        bundle.setIdentifier(new Identifier().setSystem("urn:ietf:rfc:3986").setValue("urn:uuid:" + documentId));
        bundle.setTimestamp(new Date());

        // Every entry is named by a urn:uuid; DocumentPresentation makes the references between
        // entries use those names once the access rules have seen the document as stored.
        Composition composition = composition(contract, sections, documentId);
        bundle.addEntry().setFullUrl("urn:uuid:" + documentId).setResource(composition);
        bundle.addEntry().setFullUrl(name(contract)).setResource(contract);
        around.values()
                .forEach(
                        resource -> bundle.addEntry().setFullUrl(name(resource)).setResource(resource));
        return bundle;
    }

    private static Composition composition(
            CarePlan contract, List<ContractSections.Section> sections, String documentId) {
        Composition composition = new Composition();
        composition.setId(documentId);
        composition.setLanguage("sv");
        composition.setStatus(Composition.CompositionStatus.FINAL);
        composition.setType(new CodeableConcept(new Coding("http://loinc.org", "18776-5", "Plan of care note"))
                .setText("Patientkontrakt"));
        composition.setSubject(contract.getSubject().copy());
        composition.setDate(contract.getMeta().getLastUpdated());
        composition.setTitle(contract.hasTitle() ? contract.getTitle() : "Patientkontrakt");
        composition.addAuthor(contract.getAuthor().copy());
        Owner.of(contract)
                .ifPresent(owner -> composition.setCustodian(new Reference()
                        .setIdentifier(new Identifier().setSystem(HSA_ID).setValue(owner.careGiver()))));
        Extension agreement = contract.getExtensionByUrl(Vocabulary.PATIENT_AGREEMENT);
        if (agreement != null) {
            Composition.CompositionAttesterComponent attester =
                    composition.addAttester().setMode(Composition.CompositionAttestationMode.PERSONAL);
            Type when = agreement.getExtensionByUrl("date") == null
                    ? null
                    : agreement.getExtensionByUrl("date").getValue();
            if (when instanceof org.hl7.fhir.r4.model.DateTimeType time) {
                attester.setTimeElement(time);
            }
            Type who = agreement.getExtensionByUrl("agreedBy") == null
                    ? null
                    : agreement.getExtensionByUrl("agreedBy").getValue();
            if (who instanceof Reference party) {
                attester.setParty(party.copy());
            }
        }
        composition.setText(narrative(ContractSections.div("<p>"
                + ContractSections.escape(composition.getTitle()) + ", version "
                + contract.getMeta().getVersionId()
                + "</p>")));
        for (ContractSections.Section section : sections) {
            Composition.SectionComponent part = composition
                    .addSection()
                    .setTitle(section.title())
                    .setCode(new CodeableConcept(new Coding(ContractSections.SYSTEM, section.code(), section.title())));
            part.setText(narrative(ContractSections.div(section.body())));
            section.entries().forEach(part::addEntry);
            if (section.entries().isEmpty()) {
                part.setEmptyReason(new CodeableConcept(new Coding(
                        "http://terminology.hl7.org/CodeSystem/list-empty-reason", "nilknown", "Nil Known")));
            }
        }
        return composition;
    }

    /**
     * The resource as a GET of it answers: what the access rules withhold on the way out (the read
     * then gives nothing) is not found, as it is for that GET.
     */
    static <T extends IBaseResource> T readAsAGetWould(
            DaoRegistry daoRegistry, Class<T> type, IdType id, RequestDetails request) {
        IdType versionless =
                new IdType(daoRegistry.getResourceDao(type).getResourceType().getSimpleName(), id.getIdPart());
        T read = daoRegistry.getResourceDao(type).read(versionless, request);
        if (read == null) {
            // Word for word what HAPI answers for an id it does not know: the same for data withheld.
            throw new ResourceNotFoundException(
                    Msg.code(2001) + "Resource " + versionless.getValue() + " is not known");
        }
        return read;
    }

    static Narrative narrative(String div) {
        Narrative narrative = new Narrative().setStatus(Narrative.NarrativeStatus.GENERATED);
        narrative.setDivAsString(div);
        return narrative;
    }

    /** A resource's REST address on this server, without version. */
    static String absolute(String base, Resource resource) {
        IIdType id = resource.getIdElement();
        return base + "/" + id.getResourceType() + "/" + id.getIdPart();
    }

    /** An entry's name in the document: a UUID from its type, id and version. */
    private static String name(Resource resource) {
        IIdType id = resource.getIdElement();
        return "urn:uuid:"
                + UUID.nameUUIDFromBytes((ContractGraph.key(id) + "/_history/"
                                + resource.getMeta().getVersionId())
                        .getBytes(StandardCharsets.UTF_8));
    }
}
