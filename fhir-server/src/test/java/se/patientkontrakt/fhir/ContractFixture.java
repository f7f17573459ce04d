package se.patientkontrakt.fhir;

import ca.uhn.fhir.context.FhirContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CarePlan.CarePlanActivityDetailComponent;
import org.hl7.fhir.r4.model.CarePlan.CarePlanActivityStatus;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.CareTeam.CareTeamParticipantComponent;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Narrative;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import se.patientkontrakt.fhir.contract.SwedishIdentifiers;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * A complete, valid patient contract for tests: a copy of Göran Karlsson's example transaction
 * (units, practitioners, roles, patient, contact team, goals, contract) in which every id gets a
 * suffix no other test uses and the patient a fresh, valid personnummer. Tests then change what
 * they need (dates, roles, unit, status) and store it with {@link #transaction()}.
 */
public final class ContractFixture {

    public static final String ACTIVITY_KIND = "https://patientkontrakt.se/fhir/CodeSystem/pk-activity-kind";
    public static final String FAST_KONTAKT =
            "https://terminologitjansten.inera.se/inera-kodverksforvaltning/kodverk/kv_typ_av_fast_kontakt";

    private static final String TEMPLATE = "conformance/examples/Bundle-goran-karlsson-transaction.json";
    private static final AtomicLong SEQUENCE = new AtomicLong();

    private final Bundle bundle;
    private final String suffix;

    private ContractFixture(Bundle bundle, String suffix) {
        this.bundle = bundle;
        this.suffix = suffix;
    }

    /** A fresh copy of the example contract with its own ids and personnummer. */
    public static ContractFixture create(FhirContext fhirContext) {
        String suffix = "t" + Long.toString(System.nanoTime(), 36) + SEQUENCE.incrementAndGet();
        String json = template();
        Bundle original = fhirContext.newJsonParser().parseResource(Bundle.class, json);
        for (Bundle.BundleEntryComponent entry : original.getEntry()) {
            String reference = entry.getRequest().getUrl();
            json = json.replace("\"" + reference + "\"", "\"" + reference + "-" + suffix + "\"");
            String id = entry.getResource().getIdElement().getIdPart();
            json = json.replace("\"id\": \"" + id + "\"", "\"id\": \"" + id + "-" + suffix + "\"");
        }
        ContractFixture fixture =
                new ContractFixture(fhirContext.newJsonParser().parseResource(Bundle.class, json), suffix);
        fixture.patient().getIdentifierFirstRep().setValue(personnummer());
        fixture.patient().setBirthDateElement(null);
        // The example's fast vårdkontakt ends on 2027-03-31; a fixed contact counts only while its
        // period holds, and the tests must not change with the date they run on.
        fixture.participant("1").getPeriod().setEndElement(null);
        return fixture;
    }

    /** A valid personnummer (date of birth and Luhn digit) that is, in practice, unique. */
    public static String personnummer() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        String date = String.format(
                "%04d%02d%02d", 1930 + random.nextInt(90), 1 + random.nextInt(12), 1 + random.nextInt(28));
        String nineDigits = date.substring(2) + String.format("%03d", random.nextInt(1000));
        return date.substring(0, 2) + nineDigits + SwedishIdentifiers.luhnCheckDigit(nineDigits);
    }

    public Bundle transaction() {
        return bundle;
    }

    /**
     * Adds a SIP (samordnad individuell plan: a CarePlan of category SIP, profile pk-annan-plan) of
     * the fixture's patient to the transaction, and gives its reference ({@code CarePlan/sip-…}).
     */
    public String addSip() {
        Bundle.BundleEntryComponent patient = bundle.getEntry().stream()
                .filter(e -> e.getRequest().getUrl().equals(patientId()))
                .findFirst()
                .orElseThrow();
        String reference = "CarePlan/sip-" + suffix;
        CarePlan sip = new CarePlan();
        sip.setId("sip-" + suffix);
        sip.getMeta().addProfile("https://patientkontrakt.se/fhir/StructureDefinition/pk-annan-plan");
        Narrative narrative = new Narrative().setStatus(Narrative.NarrativeStatus.GENERATED);
        narrative.setDivAsString("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>SIP</p></div>");
        sip.setText(narrative);
        sip.setStatus(CarePlan.CarePlanStatus.ACTIVE);
        sip.setIntent(CarePlan.CarePlanIntent.PLAN);
        sip.addCategory(
                new CodeableConcept(new Coding(Vocabulary.TYPE_OF_CARE_PLAN, "SIP", "Samordnad individuell plan")));
        sip.setTitle("SIP");
        sip.setSubject(new Reference(patient.getFullUrl()));
        bundle.addEntry()
                .setResource(sip)
                .getRequest()
                .setMethod(Bundle.HTTPVerb.PUT)
                .setUrl(reference);
        return reference;
    }

    public String suffix() {
        return suffix;
    }

    public Patient patient() {
        return resource(Patient.class, "Patient/goran-karlsson");
    }

    public CarePlan contract() {
        return resource(CarePlan.class, "CarePlan/goran-karlsson-patientkontrakt");
    }

    public CareTeam team() {
        return resource(CareTeam.class, "CareTeam/goran-karlsson-kontaktteam");
    }

    public String patientId() {
        return "Patient/goran-karlsson-" + suffix;
    }

    public String contractId() {
        return "CarePlan/goran-karlsson-patientkontrakt-" + suffix;
    }

    /** The contract's two goals: what matters to the patient, and the goal they share with care. */
    public List<String> goalIds() {
        return List.of("Goal/goran-karlsson-vad-ar-viktigt-" + suffix, "Goal/goran-karlsson-gemensamt-mal-" + suffix);
    }

    public String teamId() {
        return "CareTeam/goran-karlsson-kontaktteam-" + suffix;
    }

    /** The unit that manages the contact team. */
    public String unitId() {
        return "Organization/ortopedkliniken-oskarshamn-" + suffix;
    }

    /** The fast vårdkontakt's role (Erik Holm, orthopaedics). */
    public String careContactRoleId() {
        return "PractitionerRole/erik-holm-ortopedkliniken-oskarshamn-" + suffix;
    }

    public String careContactPractitionerId() {
        return "Practitioner/erik-holm-" + suffix;
    }

    /** The fast läkarkontakt's role (Anders Ek, GP). */
    public String gpRoleId() {
        return "PractitionerRole/anders-ek-vardcentralen-oskarshamn-" + suffix;
    }

    public String personnummerValue() {
        return patient().getIdentifierFirstRep().getValue();
    }

    /** A JSON Patch that adds the patient's agreement, given by {@code method}, as the patient would. */
    public String agreementPatch(String method) {
        return """
                [{"op": "add", "path": "/extension/-", "value": {
                  "url": "%s",
                  "extension": [
                    {"url": "date", "valueDateTime": "2026-11-23T10:15:00+01:00"},
                    {"url": "method", "valueCoding": {
                      "system": "https://patientkontrakt.se/fhir/CodeSystem/pk-agreement-method",
                      "code": "%s"}},
                    {"url": "agreedBy", "valueReference": {"reference": "%s"}}
                  ]}}]
                """
                .formatted(Vocabulary.PATIENT_AGREEMENT, method, patientId());
    }

    /** The contract's next steps: the example has a completed one and an open one. */
    public List<CarePlanActivityDetailComponent> nextSteps() {
        return contract().getActivity().stream()
                .map(CarePlan.CarePlanActivityComponent::getDetail)
                .filter(d -> d.getCode().hasCoding(ACTIVITY_KIND, "next-step"))
                .toList();
    }

    /** Makes the open next step promised by {@code date} (and still open). */
    public ContractFixture nextStepDue(String date) {
        CarePlanActivityDetailComponent open = nextSteps().get(1);
        open.getScheduledPeriod().setStartElement(null).setEndElement(new DateTimeType(date));
        open.setStatus(CarePlanActivityStatus.SCHEDULED);
        return this;
    }

    /** Marks every next step done, so none is open. */
    public ContractFixture nextStepsDone() {
        nextSteps().forEach(d -> d.setStatus(CarePlanActivityStatus.COMPLETED));
        return this;
    }

    /** Makes the member holding the given kv_typ_av_fast_kontakt code someone else. */
    public ContractFixture fixedContact(String code, String memberReference) {
        participant(code).setMember(new Reference(memberReference));
        return this;
    }

    public CareTeamParticipantComponent participant(String code) {
        return team().getParticipant().stream()
                .filter(p -> p.getRoleFirstRep().hasCoding(FAST_KONTAKT, code))
                .findFirst()
                .orElseThrow();
    }

    public ContractFixture managedBy(String organizationReference) {
        team().getManagingOrganizationFirstRep().setReference(organizationReference);
        return this;
    }

    public ContractFixture status(CarePlan.CarePlanStatus status) {
        contract().setStatus(status);
        return this;
    }

    private <T extends Resource> T resource(Class<T> type, String exampleReference) {
        String url = exampleReference + "-" + suffix;
        return bundle.getEntry().stream()
                .filter(e -> e.getRequest().getUrl().equals(url))
                .map(e -> type.cast(e.getResource()))
                .findFirst()
                .orElseThrow();
    }

    private static String template() {
        try (InputStream in = ContractFixture.class.getClassLoader().getResourceAsStream(TEMPLATE)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
