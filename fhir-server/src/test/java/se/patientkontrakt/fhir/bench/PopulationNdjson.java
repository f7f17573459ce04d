package se.patientkontrakt.fhir.bench;

import static se.patientkontrakt.fhir.bench.PopulationBundles.escape;
import static se.patientkontrakt.fhir.bench.PopulationBundles.narrative;
import static se.patientkontrakt.fhir.contract.SwedishIdentifiers.HSA_ID;
import static se.patientkontrakt.fhir.contract.SwedishIdentifiers.PERSONNUMMER;
import static se.patientkontrakt.fhir.contract.SwedishIdentifiers.SAMORDNINGSNUMMER;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.hl7.fhir.r4.model.Address;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.ContactPoint;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DateType;
import org.hl7.fhir.r4.model.Enumerations.AdministrativeGender;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Reference;
import se.patientkontrakt.fhir.bench.ListedPopulation.HealthCentre;
import se.patientkontrakt.fhir.bench.ListedPopulation.Malgrupp;
import se.patientkontrakt.fhir.bench.ListedPopulation.Resident;

/**
 * A {@link ListedPopulation} as the NDJSON files a region's data warehouse would deliver, one
 * resource a line, in the order they must be stored: {@code Organization.ndjson} (the region and
 * its health centres), {@code Patient.ndjson} (every resident, listed at a health centre through
 * {@code Patient.generalPractitioner}), {@code Group.ndjson} (one {@code pk-malgrupp} Group per
 * target group with all its members).
 *
 * <p>A Group is one line however many members it has, as a Bulk Data export writes it: 75 år och
 * äldre of 300,000 residents is some 40,000 members, about 3 MB of JSON, over the server's request
 * limit. Splitting it is the loader's concern ({@code population.PopulationLoader} writes it in
 * parts), so that the files say what the region holds and nothing about how it travels. A member
 * is the reference and the period only (no display), about 80 bytes.
 */
final class PopulationNdjson {

    static final String PROFILE = PopulationBundles.PROFILE;
    static final String MALGRUPP_TYP = PopulationBundles.CODE_SYSTEM + "pk-malgrupp-typ";
    static final List<String> FILES = List.of("Organization.ndjson", "Patient.ndjson", "Group.ndjson");

    private static final ZoneId SWEDEN = ZoneId.of("Europe/Stockholm");
    private static final Locale SWEDISH = Locale.forLanguageTag("sv-SE");

    private final ListedPopulation population;
    private final IParser parser;

    PopulationNdjson(FhirContext fhirContext, ListedPopulation population) {
        this.population = population;
        this.parser = fhirContext.newJsonParser();
    }

    /** Writes the three files into {@code directory} and returns how many members each group got. */
    Map<Malgrupp, Integer> write(Path directory) throws IOException {
        Files.createDirectories(directory);
        try (Writer out = writer(directory.resolve(FILES.get(0)))) {
            line(out, parser.encodeResourceToString(region()));
            for (HealthCentre centre : population.centres()) {
                line(out, parser.encodeResourceToString(healthCentre(centre)));
            }
        }
        Map<Malgrupp, List<Group.GroupMemberComponent>> members = new EnumMap<>(Malgrupp.class);
        for (Malgrupp group : Malgrupp.values()) {
            members.put(group, new ArrayList<>());
        }
        try (Writer out = writer(directory.resolve(FILES.get(1)))) {
            for (int i = 0; i < population.count(); i++) {
                Resident resident = population.resident(i);
                line(out, parser.encodeResourceToString(patient(resident)));
                resident.memberSince().forEach((group, since) -> members.get(group)
                        .add(new Group.GroupMemberComponent(new Reference("Patient/" + resident.patientId()))
                                .setPeriod(new Period().setStartElement(new DateTimeType(since.toString())))));
            }
        }
        Map<Malgrupp, Integer> sizes = new EnumMap<>(Malgrupp.class);
        try (Writer out = writer(directory.resolve(FILES.get(2)))) {
            for (Malgrupp group : Malgrupp.values()) {
                line(out, parser.encodeResourceToString(group(group, members.get(group))));
                sizes.put(group, members.get(group).size());
            }
        }
        return sizes;
    }

    Organization region() {
        Organization region = new Organization();
        region.setId(population.regionId());
        region.getMeta().addProfile(PROFILE + "pk-organization");
        region.setText(narrative("<p><b>" + ListedPopulation.REGION_NAME + "</b> (HSA-id "
                + ListedPopulation.REGION_HSA_ID + "), vårdgivare</p>"));
        region.addIdentifier().setSystem(HSA_ID).setValue(ListedPopulation.REGION_HSA_ID);
        region.setActive(true).setName(ListedPopulation.REGION_NAME);
        region.addType()
                .addCoding()
                .setSystem("http://terminology.hl7.org/CodeSystem/organization-type")
                .setCode("prov")
                .setDisplay("Healthcare Provider");
        return region;
    }

    Organization healthCentre(HealthCentre centre) {
        Organization organization = new Organization();
        organization.setId(centre.id());
        organization.getMeta().addProfile(PROFILE + "pk-organization");
        organization.setText(narrative("<p><b>" + escape(centre.name()) + "</b> (HSA-id " + centre.hsaId()
                + ")</p><p>Telefon " + centre.phone() + "</p>"));
        organization.addIdentifier().setSystem(HSA_ID).setValue(centre.hsaId());
        organization.setActive(true).setName(centre.name());
        organization
                .addTelecom()
                .setSystem(ContactPoint.ContactPointSystem.PHONE)
                .setValue(centre.phone())
                .setUse(ContactPoint.ContactPointUse.WORK);
        organization.addAddress().setCity(centre.town()).setCountry("SE");
        organization.setPartOf(
                new Reference("Organization/" + population.regionId()).setDisplay(ListedPopulation.REGION_NAME));
        return organization;
    }

    Patient patient(Resident resident) {
        boolean coordination = resident.number().samordningsnummer();
        String value = resident.number().value();
        Patient patient = new Patient();
        patient.setId(resident.patientId());
        patient.getMeta().addProfile(PROFILE + "pk-patient");
        patient.setText(narrative("<p><b>" + escape(resident.name()) + "</b>, född "
                + resident.number().birthDate() + ", " + (coordination ? "samordningsnummer " : "personnummer ")
                + value.substring(0, 8) + "-" + value.substring(8) + "</p><p>Listad på "
                + escape(resident.listedAt().name()) + "</p>"));
        patient.addIdentifier()
                .setSystem(coordination ? SAMORDNINGSNUMMER : PERSONNUMMER)
                .setValue(value);
        patient.addName()
                .setUse(HumanName.NameUse.OFFICIAL)
                .setFamily(resident.family())
                .addGiven(resident.given());
        patient.setGender(resident.number().female() ? AdministrativeGender.FEMALE : AdministrativeGender.MALE);
        patient.setBirthDateElement(new DateType(resident.number().birthDate().toString()));
        patient.addAddress()
                .setUse(Address.AddressUse.HOME)
                .addLine(resident.street())
                .setPostalCode(resident.postalCode())
                .setCity(resident.town())
                .setCountry("SE");
        patient.addGeneralPractitioner(
                new Reference("Organization/" + resident.listedAt().id())
                        .setDisplay(resident.listedAt().name()));
        return patient;
    }

    Group group(Malgrupp kind, List<Group.GroupMemberComponent> members) {
        LocalDate today = population.today();
        String month = today.getMonth().getDisplayName(TextStyle.FULL_STANDALONE, SWEDISH) + " " + today.getYear();
        String name = kind.display.replaceFirst(" –.*", "") + ", " + ListedPopulation.REGION_NAME + ", " + month;
        boolean rub = kind == Malgrupp.RUB_5 || kind == Malgrupp.RUB_4;
        // RUB is computed from the last twelve whole months of care use; the other traits hold on the day.
        Period measured = rub
                ? new Period()
                        .setStartElement(new DateTimeType(
                                today.withDayOfMonth(1).minusYears(1).toString()))
                        .setEndElement(new DateTimeType(
                                today.withDayOfMonth(1).minusDays(1).toString()))
                : new Period()
                        .setStartElement(new DateTimeType(today.toString()))
                        .setEndElement(new DateTimeType(today.toString()));
        String loaded = today.atTime(6, 0).atZone(SWEDEN).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);

        Group group = new Group();
        group.setId(population.groupId(kind));
        group.getMeta().addProfile(PROFILE + "pk-malgrupp");
        group.setText(narrative("<p><b>" + escape(name) + "</b>: " + escape(kind.display) + ". Inläst " + today
                + " 06:00.</p><p>" + members.size() + " medlemmar.</p>"));
        group.addExtension(PROFILE + "pk-population-loaded", new DateTimeType(loaded));
        group.setActive(true).setType(Group.GroupType.PERSON).setActual(true);
        group.setCode(code(kind));
        group.setName(name);
        group.setQuantity(members.size());
        group.setManagingEntity(
                new Reference("Organization/" + population.regionId()).setDisplay(ListedPopulation.REGION_NAME));
        group.addCharacteristic()
                .setCode(code(kind))
                .setValue(new BooleanType(true))
                .setExclude(false)
                .setPeriod(measured);
        group.setMember(members);
        return group;
    }

    private static CodeableConcept code(Malgrupp kind) {
        CodeableConcept code = new CodeableConcept();
        code.addCoding().setSystem(MALGRUPP_TYP).setCode(kind.code).setDisplay(kind.display);
        return code;
    }

    private static Writer writer(Path file) throws IOException {
        return new BufferedWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8), 1 << 16);
    }

    private static void line(Writer out, String json) throws IOException {
        out.write(json);
        out.write('\n');
    }
}
