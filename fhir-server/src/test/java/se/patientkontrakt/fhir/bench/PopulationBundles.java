package se.patientkontrakt.fhir.bench;

import static se.patientkontrakt.fhir.contract.SwedishIdentifiers.HSA_ID;
import static se.patientkontrakt.fhir.contract.SwedishIdentifiers.PERSONNUMMER;
import static se.patientkontrakt.fhir.contract.SwedishIdentifiers.SAMORDNINGSNUMMER;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.hl7.fhir.r4.model.Address;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.ContactPoint;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DateType;
import org.hl7.fhir.r4.model.Enumerations.AdministrativeGender;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Goal;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.Narrative;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.PractitionerRole;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.TimeType;
import se.patientkontrakt.fhir.bench.SyntheticPopulation.Activity;
import se.patientkontrakt.fhir.bench.SyntheticPopulation.Clinician;
import se.patientkontrakt.fhir.bench.SyntheticPopulation.Contract;
import se.patientkontrakt.fhir.bench.SyntheticPopulation.Party;
import se.patientkontrakt.fhir.bench.SyntheticPopulation.Unit;
import se.patientkontrakt.fhir.contract.Owner;

/**
 * The synthetic population as FHIR transaction Bundles shaped like the example contracts in
 * {@code examples/}: every entry a {@code PUT} to its stable id (so a rerun changes nothing),
 * references between entries of one Bundle as {@code urn:uuid} full URLs, references to the
 * shared directory as literal {@code Organization/…} and {@code PractitionerRole/…}. Every
 * resource declares its patient-contract profile.
 */
final class PopulationBundles {

    static final String PROFILE = "https://patientkontrakt.se/fhir/StructureDefinition/";
    static final String CODE_SYSTEM = "https://patientkontrakt.se/fhir/CodeSystem/";
    static final String FAST_KONTAKT =
            "https://terminologitjansten.inera.se/inera-kodverksforvaltning/kodverk/kv_typ_av_fast_kontakt";
    static final String TYPE_OF_CARE_PLAN = "https://fhir.inera.se/CodeSystem/typeofcareplan-cs";

    private static final DateTimeFormatter DATE_TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ssXXX");
    private static final ZoneId SWEDEN = ZoneId.of("Europe/Stockholm");

    private PopulationBundles() {}

    /** The care units, at most {@code maxEntries} to a Bundle; they must be stored first. */
    static List<Bundle> organizations(SyntheticPopulation population, int maxEntries) {
        List<Bundle> bundles = new ArrayList<>();
        for (Unit unit : population.units()) {
            Bundle bundle = current(bundles, maxEntries, 1);
            Organization organization = new Organization();
            organization.setId(unit.id());
            organization.getMeta().addProfile(PROFILE + "pk-organization");
            organization.setText(narrative("<p><b>" + escape(unit.name()) + "</b> (HSA-id " + unit.hsaId()
                    + ")</p><p>Telefon " + unit.phone() + "</p>"));
            organization.addIdentifier().setSystem(HSA_ID).setValue(unit.hsaId());
            organization.setActive(true).setName(unit.name());
            organization.addTelecom(phone(unit.phone()));
            organization.addAddress().setCity(unit.town()).setCountry("SE");
            new Entries(bundle).put(organization);
        }
        return bundles;
    }

    /**
     * The practitioners, each in the same Bundle as their role, at most {@code maxEntries} to a
     * Bundle; the Bundles are independent of each other once the units are stored.
     */
    static List<Bundle> practitioners(SyntheticPopulation population, int maxEntries) {
        List<Bundle> bundles = new ArrayList<>();
        for (Clinician clinician : population.clinicians()) {
            Bundle bundle = current(bundles, maxEntries, 2);
            Entries entries = new Entries(bundle);
            Practitioner practitioner = new Practitioner();
            practitioner.setId(clinician.practitionerId());
            practitioner.getMeta().addProfile(PROFILE + "pk-practitioner");
            practitioner.setText(narrative("<p><b>" + escape(clinician.name()) + "</b>, " + clinician.profession().title
                    + " (HSA-id " + clinician.hsaId() + ")</p>"));
            practitioner.addIdentifier().setSystem(HSA_ID).setValue(clinician.hsaId());
            practitioner.setActive(true);
            practitioner.addName().setFamily(clinician.family()).addGiven(clinician.given());
            entries.put(practitioner);

            PractitionerRole role = new PractitionerRole();
            role.setId(clinician.roleId());
            role.getMeta().addProfile(PROFILE + "pk-practitionerrole");
            role.setText(narrative("<p><b>" + escape(clinician.name()) + "</b>, " + clinician.profession().title
                    + " vid " + escape(clinician.unit().name()) + "</p>"));
            role.setActive(true);
            role.setPractitioner(entries.reference("Practitioner/" + clinician.practitionerId(), clinician.name()));
            role.setOrganization(entries.reference(
                    "Organization/" + clinician.unit().id(), clinician.unit().name()));
            role.addCode().setText(capitalised(clinician.profession().title));
            role.addTelecom(phone(clinician.phone()));
            entries.put(role);
        }
        return bundles;
    }

    /** One patient's contract: Patient, CareTeam, two Goals, perhaps a SIP, and the CarePlan. */
    static Bundle contract(Contract contract) {
        Bundle bundle = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        Entries entries = new Entries(bundle);
        entries.declare("Patient/" + contract.patientId());
        entries.declare("CareTeam/" + contract.careTeamId());
        entries.declare("Goal/" + contract.whatMattersGoalId());
        entries.declare("Goal/" + contract.sharedGoalId());
        if (contract.sipAuthor() != null) {
            entries.declare("CarePlan/" + contract.sipId());
        }
        entries.put(patient(contract));
        entries.put(owned(careTeam(contract, entries), contract.managingUnit()));
        for (Goal goal : goals(contract, entries)) {
            entries.put(owned(goal, contract.managingUnit()));
        }
        if (contract.sipAuthor() != null) {
            entries.put(owned(sip(contract, entries), contract.sipAuthor()));
        }
        entries.put(owned(carePlan(contract, entries), contract.managingUnit()));
        return bundle;
    }

    /**
     * The owner labels a care unit's commission would have put on the resource (Patientdatalagen):
     * the unit and its care giver, whose HSA-id begins the unit's. The loader writes without
     * access control, where the server keeps the labels a write brings.
     */
    private static <T extends Resource> T owned(T resource, Unit unit) {
        new Owner(SyntheticPopulation.careGiverOf(unit), unit.hsaId()).labelOnto(resource);
        return resource;
    }

    /**
     * Lists the patient of a contract's Bundle at a health centre of a region's listed population
     * ({@code Patient.generalPractitioner}, as {@link PopulationNdjson} writes a resident's listing).
     */
    static void listAt(Bundle contract, ListedPopulation.HealthCentre centre) {
        contract.getEntry().stream()
                .map(Bundle.BundleEntryComponent::getResource)
                .filter(Patient.class::isInstance)
                .map(Patient.class::cast)
                .forEach(patient -> patient.addGeneralPractitioner(
                        new Reference("Organization/" + centre.id()).setDisplay(centre.name())));
    }

    private static Patient patient(Contract contract) {
        boolean coordination = contract.number().samordningsnummer();
        String value = contract.number().value();
        Patient patient = new Patient();
        patient.setId(contract.patientId());
        patient.getMeta().addProfile(PROFILE + "pk-patient");
        patient.setText(narrative("<p><b>" + escape(contract.name()) + "</b>, född "
                + contract.number().birthDate() + ", " + (coordination ? "samordningsnummer " : "personnummer ")
                + value.substring(0, 8) + "-" + value.substring(8) + "</p><p>" + escape(contract.street()) + ", "
                + contract.postalCode() + " " + escape(contract.town()) + "</p>"));
        patient.addIdentifier()
                .setSystem(coordination ? SAMORDNINGSNUMMER : PERSONNUMMER)
                .setValue(value);
        patient.addName()
                .setUse(HumanName.NameUse.OFFICIAL)
                .setFamily(contract.family())
                .addGiven(contract.given());
        patient.addTelecom()
                .setSystem(ContactPoint.ContactPointSystem.PHONE)
                .setValue(contract.mobile())
                .setUse(ContactPoint.ContactPointUse.MOBILE);
        patient.setGender(contract.number().female() ? AdministrativeGender.FEMALE : AdministrativeGender.MALE);
        patient.setBirthDateElement(new DateType(contract.number().birthDate().toString()));
        patient.addAddress()
                .setUse(Address.AddressUse.HOME)
                .addLine(contract.street())
                .setPostalCode(contract.postalCode())
                .setCity(contract.town())
                .setCountry("SE");
        return patient;
    }

    private static CareTeam careTeam(Contract contract, Entries entries) {
        CareTeam team = new CareTeam();
        team.setId(contract.careTeamId());
        team.getMeta().addProfile(PROFILE + "pk-kontaktteam");
        String name = SyntheticPopulation.genitive(contract.given()) + " fasta kontakter";
        StringBuilder rows = new StringBuilder();
        team.setStatus(
                contract.status() == SyntheticPopulation.ContractStatus.ACTIVE
                        ? CareTeam.CareTeamStatus.ACTIVE
                        : CareTeam.CareTeamStatus.INACTIVE);
        team.setName(name);
        team.setSubject(entries.reference("Patient/" + contract.patientId(), contract.name()));
        team.getPeriod().setStartElement(dateTime(contract.created()));
        addParticipant(team, contract.vardkontakt(), "1", "Fast vårdkontakt", contract.created(), rows);
        addParticipant(team, contract.lakarkontakt(), "2", "Fast läkarkontakt i primärvård", contract.created(), rows);
        addParticipant(
                team, contract.omsorgskontakt(), "3", "Fast omsorgskontakt i hemtjänsten", contract.created(), rows);
        team.addManagingOrganization(
                new Reference("Organization/" + contract.managingUnit().id())
                        .setDisplay(contract.managingUnit().name()));

        Clinician first = contract.vardkontakt() != null ? contract.vardkontakt() : contract.lakarkontakt();
        ContactPoint direct = phone(first.phone());
        direct.addExtension(channel("phone", "Telefon"));
        Extension hours = new Extension(PROFILE + "pk-contact-hours");
        for (String day : List.of("mon", "tue", "wed", "thu", "fri")) {
            hours.addExtension("daysOfWeek", new CodeType(day));
        }
        hours.addExtension("availableStartTime", new TimeType("08:00:00"));
        hours.addExtension("availableEndTime", new TimeType("16:00:00"));
        hours.addExtension("description", new StringType("Direktnummer till " + first.name()));
        direct.addExtension(hours);
        team.addTelecom(direct);
        ContactPoint message = new ContactPoint()
                .setSystem(ContactPoint.ContactPointSystem.URL)
                .setValue("https://www.1177.se/")
                .setUse(ContactPoint.ContactPointUse.WORK);
        message.addExtension(channel("1177-message", "Meddelande via 1177"));
        Extension answered = new Extension(PROFILE + "pk-contact-hours");
        answered.addExtension("description", new StringType("Svar inom två vardagar"));
        message.addExtension(answered);
        team.addTelecom(message);

        team.setText(
                narrative("<p><b>" + escape(name) + "</b></p><table><tr><th>Roll</th><th>Vem</th><th>Sedan</th></tr>"
                        + rows + "</table><p>Så kontaktar du vården: telefon " + first.phone() + " vardagar 08–16, "
                        + "meddelande via 1177 (svar inom två vardagar).</p>"));
        return team;
    }

    private static void addParticipant(
            CareTeam team, Clinician clinician, String code, String display, LocalDate since, StringBuilder rows) {
        if (clinician == null) {
            return;
        }
        CareTeam.CareTeamParticipantComponent participant = team.addParticipant();
        participant.addRole().addCoding(new Coding(FAST_KONTAKT, code, display));
        participant.setMember(new Reference("PractitionerRole/" + clinician.roleId()).setDisplay(clinician.display()));
        participant.getPeriod().setStartElement(dateTime(since));
        rows.append("<tr><td>")
                .append(display)
                .append("</td><td>")
                .append(escape(clinician.display()))
                .append("</td><td>")
                .append(since)
                .append("</td></tr>");
    }

    private static List<Goal> goals(Contract contract, Entries entries) {
        Goal.GoalLifecycleStatus lifecycle =
                switch (contract.status()) {
                    case ACTIVE -> Goal.GoalLifecycleStatus.ACTIVE;
                    case COMPLETED -> Goal.GoalLifecycleStatus.COMPLETED;
                    case REVOKED -> Goal.GoalLifecycleStatus.CANCELLED;
                };
        Goal whatMatters = new Goal();
        whatMatters.setId(contract.whatMattersGoalId());
        whatMatters.getMeta().addProfile(PROFILE + "pk-mal");
        whatMatters.setText(narrative("<p><b>Vad är viktigt för mig:</b> " + escape(contract.whatMatters()) + "</p>"));
        whatMatters.setLifecycleStatus(lifecycle);
        whatMatters.addCategory(concept(CODE_SYSTEM + "pk-goal-category", "vad-ar-viktigt", "Vad är viktigt för mig"));
        whatMatters.getDescription().setText(contract.whatMatters());
        whatMatters.setSubject(entries.reference("Patient/" + contract.patientId(), contract.name()));
        whatMatters.setStart(date(contract.created()));
        whatMatters.setExpressedBy(entries.reference("Patient/" + contract.patientId(), contract.name()));

        SwedishTexts.SharedGoal shared = contract.sharedGoal();
        Goal sharedGoal = new Goal();
        sharedGoal.setId(contract.sharedGoalId());
        sharedGoal.getMeta().addProfile(PROFILE + "pk-mal");
        sharedGoal.setText(narrative("<p><b>Gemensamt mål:</b> " + escape(shared.text()) + "</p><p>Ambitionsnivå: "
                + shared.ambitionDisplay() + "</p>"));
        sharedGoal.addExtension(
                PROFILE + "pk-ambition-level",
                new Coding(CODE_SYSTEM + "pk-ambition-level", shared.ambition(), shared.ambitionDisplay()));
        sharedGoal.setLifecycleStatus(lifecycle);
        sharedGoal.addCategory(concept(CODE_SYSTEM + "pk-goal-category", "gemensamt-mal", "Gemensamt mål"));
        sharedGoal.getDescription().setText(shared.text());
        sharedGoal.setSubject(entries.reference("Patient/" + contract.patientId(), contract.name()));
        sharedGoal.setStart(date(contract.created()));
        sharedGoal.addTarget().setDue(date(contract.created().plusYears(1)));
        return List.of(whatMatters, sharedGoal);
    }

    private static CarePlan sip(Contract contract, Entries entries) {
        LocalDate start = contract.created().minusDays(30);
        CarePlan sip = new CarePlan();
        sip.setId(contract.sipId());
        sip.getMeta().addProfile(PROFILE + "pk-annan-plan");
        sip.setText(narrative("<p><b>SIP – samordnad individuell plan för " + escape(contract.name()) + "</b></p><p>"
                + "Upprättad " + start + " av " + escape(contract.sipAuthor().name()) + " tillsammans med "
                + escape(contract.given()) + ".</p>"));
        sip.setStatus(
                contract.status() == SyntheticPopulation.ContractStatus.ACTIVE
                        ? CarePlan.CarePlanStatus.ACTIVE
                        : CarePlan.CarePlanStatus.COMPLETED);
        sip.setIntent(CarePlan.CarePlanIntent.PLAN);
        sip.addCategory(concept(TYPE_OF_CARE_PLAN, "SIP", "Samordnad individuell plan"));
        sip.setTitle("SIP – " + contract.name());
        sip.setDescription("Samordnad individuell plan mellan region och kommun.");
        sip.setSubject(entries.reference("Patient/" + contract.patientId(), contract.name()));
        sip.setPeriod(new Period().setStartElement(dateTime(start)).setEndElement(dateTime(start.plusYears(1))));
        sip.getCreatedElement().setValueAsString(start.toString());
        sip.setAuthor(new Reference("Organization/" + contract.sipAuthor().id())
                .setDisplay(contract.sipAuthor().name()));
        sip.addContributor(entries.reference("Patient/" + contract.patientId(), contract.name()));
        return sip;
    }

    private static CarePlan carePlan(Contract contract, Entries entries) {
        Reference patient = entries.reference("Patient/" + contract.patientId(), contract.name());
        CarePlan plan = new CarePlan();
        plan.setId(contract.contractId());
        plan.getMeta().addProfile(PROFILE + "pk-patientkontrakt");

        Extension agreement = new Extension(PROFILE + "pk-patient-agreement");
        agreement.addExtension(
                "date",
                new DateTimeType(contract.created().atTime(10, 0).atZone(SWEDEN).format(DATE_TIME)));
        agreement.addExtension(
                "method",
                new Coding(
                        CODE_SYSTEM + "pk-agreement-method",
                        contract.agreementMethod(),
                        agreementDisplay(contract.agreementMethod())));
        agreement.addExtension("agreedBy", patient.copy());
        plan.addExtension(agreement);
        plan.addExtension(PROFILE + "pk-wants-coordination-help", new BooleanType(contract.wantsCoordinationHelp()));
        plan.addExtension(PROFILE + "pk-approved-for-patient", new BooleanType(contract.approvedForPatient()));
        if (contract.sipAuthor() != null) {
            plan.addSupportingInfo(entries.reference("CarePlan/" + contract.sipId(), "SIP – " + contract.name()));
        }
        plan.setStatus(CarePlan.CarePlanStatus.fromCode(contract.status().code));
        plan.setIntent(CarePlan.CarePlanIntent.PLAN);
        plan.addCategory(concept("http://snomed.info/sct", "734163000", "Care plan"));
        plan.addCategory(concept(CODE_SYSTEM + "pk-careplan-category", "patientkontrakt", "Patientkontrakt"));
        plan.setTitle("Patientkontrakt för " + contract.name());
        plan.setDescription(
                "Överenskommelse mellan " + contract.given() + " och vården om " + joined(contract.conditions()) + ".");
        plan.setSubject(patient);
        plan.setPeriod(new Period()
                .setStartElement(dateTime(contract.created()))
                .setEndElement(dateTime(contract.periodEnd())));
        plan.getCreatedElement().setValueAsString(contract.created().toString());
        Clinician author = contract.vardkontakt() != null ? contract.vardkontakt() : contract.lakarkontakt();
        plan.setAuthor(new Reference("PractitionerRole/" + author.roleId()).setDisplay(author.display()));
        plan.addContributor(patient.copy());
        for (Clinician contact :
                new Clinician[] {contract.vardkontakt(), contract.lakarkontakt(), contract.omsorgskontakt()}) {
            if (contact != null) {
                plan.addContributor(
                        new Reference("PractitionerRole/" + contact.roleId()).setDisplay(contact.display()));
            }
        }
        String teamName = SyntheticPopulation.genitive(contract.given()) + " fasta kontakter";
        plan.addCareTeam(entries.reference("CareTeam/" + contract.careTeamId(), teamName));
        plan.addGoal(entries.reference("Goal/" + contract.whatMattersGoalId(), "Vad är viktigt för mig"));
        plan.addGoal(entries.reference("Goal/" + contract.sharedGoalId(), "Gemensamt mål"));
        for (Activity activity : contract.activities()) {
            CarePlan.CarePlanActivityDetailComponent detail = plan.addActivity().getDetail();
            detail.getCode()
                    .addCoding(new Coding(
                            CODE_SYSTEM + "pk-activity-kind", activity.kind(), kindDisplay(activity.kind())));
            detail.setStatus(CarePlan.CarePlanActivityStatus.fromCode(activity.status()));
            if (activity.end() != null) {
                detail.setScheduled(new Period()
                        .setStartElement(dateTime(activity.start()))
                        .setEndElement(dateTime(activity.end())));
            }
            Party performer = activity.performer();
            detail.addPerformer(entries.reference(performer.reference(), performer.display()));
            detail.setDescription(activity.description());
        }
        plan.setText(narrative(contractNarrative(contract, teamName)));
        return plan;
    }

    private static String contractNarrative(Contract contract, String teamName) {
        StringBuilder html = new StringBuilder()
                .append("<h3>Patientkontrakt för ")
                .append(escape(contract.name()))
                .append("</h3><p>Överenskommelse mellan ")
                .append(escape(contract.given()))
                .append(" och vården om ")
                .append(escape(joined(contract.conditions())))
                .append(".</p><p>Överenskommet ")
                .append(contract.created())
                .append(" (")
                .append(agreementDisplay(contract.agreementMethod()).toLowerCase())
                .append("). Vill ha hjälp att samordna vården: ")
                .append(contract.wantsCoordinationHelp() ? "ja" : "nej")
                .append(".</p><p><b>Vad är viktigt för mig:</b> ")
                .append(escape(contract.whatMatters()))
                .append("</p><p><b>Gemensamt mål:</b> ")
                .append(escape(contract.sharedGoal().text()))
                .append("</p>");
        for (String kind :
                List.of("patient-responsibility", "care-responsibility", "escalation", "next-step", "follow-up")) {
            html.append("<p><b>").append(kindDisplay(kind)).append("</b></p><ul>");
            for (Activity activity : contract.activities()) {
                if (activity.kind().equals(kind)) {
                    html.append("<li>").append(escape(activity.description()));
                    if (activity.end() != null) {
                        html.append(" <i>(senast ").append(activity.end()).append(")</i>");
                    }
                    html.append(" – ")
                            .append(escape(activity.performer().display()))
                            .append("</li>");
                }
            }
            html.append("</ul>");
        }
        return html.append("<p>Fasta kontakter och kontaktvägar: ")
                .append(escape(teamName))
                .append("</p>")
                .toString();
    }

    /** The last Bundle, or a new one when the next {@code size} entries would not fit. */
    private static Bundle current(List<Bundle> bundles, int maxEntries, int size) {
        if (bundles.isEmpty() || bundles.get(bundles.size() - 1).getEntry().size() + size > maxEntries) {
            bundles.add(new Bundle().setType(Bundle.BundleType.TRANSACTION));
        }
        return bundles.get(bundles.size() - 1);
    }

    /** Entries of one transaction Bundle, and references that point into it where they can. */
    private static final class Entries {
        private final Bundle bundle;
        private final Set<String> local = new HashSet<>();

        Entries(Bundle bundle) {
            this.bundle = bundle;
            bundle.getEntry().forEach(entry -> local.add(literal(entry.getResource())));
        }

        /** Announces a resource that a later {@link #put} adds, so earlier entries can refer to it. */
        void declare(String literal) {
            local.add(literal);
        }

        void put(Resource resource) {
            String literal = literal(resource);
            local.add(literal);
            bundle.addEntry()
                    .setFullUrl(fullUrl(literal))
                    .setResource(resource)
                    .getRequest()
                    .setMethod(Bundle.HTTPVerb.PUT)
                    .setUrl(literal);
        }

        Reference reference(String literal, String display) {
            return new Reference(local.contains(literal) ? fullUrl(literal) : literal).setDisplay(display);
        }

        private static String literal(Resource resource) {
            return resource.fhirType() + "/" + resource.getIdElement().getIdPart();
        }
    }

    /** A stable {@code urn:uuid} for a resource, the same in every run. */
    static String fullUrl(String literal) {
        return "urn:uuid:" + UUID.nameUUIDFromBytes(literal.getBytes(StandardCharsets.UTF_8));
    }

    static Narrative narrative(String xhtml) {
        Narrative narrative = new Narrative().setStatus(Narrative.NarrativeStatus.GENERATED);
        narrative.setDivAsString("<div xmlns=\"http://www.w3.org/1999/xhtml\">" + xhtml + "</div>");
        return narrative;
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static DateType date(LocalDate date) {
        return new DateType(date.toString());
    }

    /** A dateTime to the day, as Period wants it. */
    private static DateTimeType dateTime(LocalDate date) {
        return new DateTimeType(date.toString());
    }

    private static ContactPoint phone(String number) {
        return new ContactPoint()
                .setSystem(ContactPoint.ContactPointSystem.PHONE)
                .setValue(number)
                .setUse(ContactPoint.ContactPointUse.WORK);
    }

    private static Extension channel(String code, String display) {
        return new Extension(
                PROFILE + "pk-contact-channel", new Coding(CODE_SYSTEM + "pk-contact-channel", code, display));
    }

    private static CodeableConcept concept(String system, String code, String display) {
        return new CodeableConcept().addCoding(new Coding(system, code, display));
    }

    private static String kindDisplay(String kind) {
        return switch (kind) {
            case "patient-responsibility" -> "Patienten ansvarar för";
            case "care-responsibility" -> "Vården ansvarar för";
            case "escalation" -> "Vid försämring";
            case "next-step" -> "Nästa steg";
            case "follow-up" -> "Uppföljning";
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private static String agreementDisplay(String method) {
        return switch (method) {
            case "digital" -> "Digitalt";
            case "paper" -> "Papper";
            case "oral" -> "Muntligt";
            default -> throw new IllegalArgumentException(method);
        };
    }

    private static String capitalised(String text) {
        return Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }

    /** "a", "a och b", "a, b och c". */
    private static String joined(List<String> items) {
        if (items.size() == 1) {
            return items.get(0);
        }
        return items.subList(0, items.size() - 1).stream().collect(Collectors.joining(", ")) + " och "
                + items.get(items.size() - 1);
    }
}
