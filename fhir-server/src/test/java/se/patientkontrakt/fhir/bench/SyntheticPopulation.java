package se.patientkontrakt.fhir.bench;

import static java.time.temporal.ChronoUnit.DAYS;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import se.patientkontrakt.fhir.bench.PersonalNumbers.PersonalNumber;

/**
 * A reproducible synthetic population of patient contracts: a shared directory of care units
 * (vårdcentraler, hospital clinics, municipal home care) with their practitioners, and one
 * contract per patient that picks its fixed contacts from that directory.
 *
 * <p>Everything follows from the seed and the reference date {@code today} (next steps and
 * follow-ups are placed around it). Resource ids contain the seed and the patient's index, and
 * contract {@code i} depends only on the seed, {@code today} and {@code i} (its personal number
 * on the draws before it), so a loader can write contracts in any order and a rerun writes the
 * same resources to the same ids. The read benchmark rebuilds the same population to know which
 * patients, roles and units exist without asking the server.
 *
 * <p>Shares, roughly: 88 % of contracts active, 7 % completed, 5 % revoked; 85 % with a fast
 * vårdkontakt and 70 % with a fast läkarkontakt (every team has at least one of the two); a
 * third of the patients over 75 have home care with a fast omsorgskontakt, and most of them a
 * SIP; every active contract has one open next step, a quarter of them overdue.
 */
final class SyntheticPopulation {

    static final int DEFAULT_UNITS = 50;
    static final int DEFAULT_PRACTITIONERS = 500;

    enum UnitKind {
        VARDCENTRAL,
        KLINIK,
        HEMTJANST
    }

    enum Profession {
        ALLMANLAKARE("allmänläkare"),
        DISTRIKTSSKOTERSKA("distriktssköterska"),
        SJUKSKOTERSKA("sjuksköterska"),
        SPECIALISTLAKARE("specialistläkare"),
        PATIENTANSVARIG_SJUKSKOTERSKA("patientansvarig sjuksköterska"),
        UNDERSKOTERSKA("undersköterska i hemtjänsten"),
        FYSIOTERAPEUT("fysioterapeut"),
        ARBETSTERAPEUT("arbetsterapeut");

        final String title;

        Profession(String title) {
            this.title = title;
        }
    }

    enum ContractStatus {
        ACTIVE("active"),
        COMPLETED("completed"),
        REVOKED("revoked");

        final String code;

        ContractStatus(String code) {
            this.code = code;
        }
    }

    /** A care unit with its HSA-id. */
    record Unit(String id, String hsaId, String name, UnitKind kind, String town, String phone) {}

    /** A practitioner and their one role, at one unit. */
    record Clinician(
            String practitionerId,
            String roleId,
            String hsaId,
            String given,
            String family,
            Profession profession,
            Unit unit,
            String phone) {

        String name() {
            return given + " " + family;
        }

        String display() {
            return name() + ", " + profession.title;
        }
    }

    /** Who carries out an activity: a literal reference and its display. */
    record Party(String reference, String display) {}

    /**
     * One contract activity; {@code kind} is a code of pk-activity-kind, {@code start} and
     * {@code end} are set for next steps and follow-ups ({@code end} is the promised date).
     */
    record Activity(String kind, String description, Party performer, String status, LocalDate start, LocalDate end) {}

    private static Activity careResponsibility(String description, Party performer, String status) {
        return new Activity("care-responsibility", description, performer, status, null, null);
    }

    /**
     * Everything one contract says, before it becomes FHIR. The fixed contacts are null when the
     * patient has none of that kind; {@code sipAuthor} is null without a SIP.
     */
    record Contract(
            String patientId,
            PersonalNumber number,
            String given,
            String family,
            String street,
            String postalCode,
            String town,
            String mobile,
            ContractStatus status,
            LocalDate created,
            LocalDate periodEnd,
            String agreementMethod,
            boolean approvedForPatient,
            boolean wantsCoordinationHelp,
            Clinician vardkontakt,
            Clinician lakarkontakt,
            Clinician omsorgskontakt,
            Unit managingUnit,
            Unit sipAuthor,
            List<String> conditions,
            String whatMatters,
            SwedishTexts.SharedGoal sharedGoal,
            List<Activity> activities) {

        String name() {
            return given + " " + family;
        }

        String careTeamId() {
            return patientId + "-kontaktteam";
        }

        String contractId() {
            return patientId + "-patientkontrakt";
        }

        String sipId() {
            return patientId + "-sip";
        }

        String whatMattersGoalId() {
            return patientId + "-vad-ar-viktigt";
        }

        String sharedGoalId() {
            return patientId + "-gemensamt-mal";
        }
    }

    /** Professions at a unit, in the order its practitioners are numbered. */
    private static final List<Profession> VARDCENTRAL_STAFF = List.of(
            Profession.ALLMANLAKARE,
            Profession.DISTRIKTSSKOTERSKA,
            Profession.ALLMANLAKARE,
            Profession.DISTRIKTSSKOTERSKA,
            Profession.SJUKSKOTERSKA,
            Profession.ALLMANLAKARE,
            Profession.DISTRIKTSSKOTERSKA,
            Profession.FYSIOTERAPEUT,
            Profession.ARBETSTERAPEUT,
            Profession.SJUKSKOTERSKA);

    private static final List<Profession> KLINIK_STAFF = List.of(
            Profession.SPECIALISTLAKARE,
            Profession.SJUKSKOTERSKA,
            Profession.SPECIALISTLAKARE,
            Profession.SJUKSKOTERSKA,
            Profession.SPECIALISTLAKARE,
            Profession.SJUKSKOTERSKA,
            Profession.FYSIOTERAPEUT,
            Profession.SJUKSKOTERSKA,
            Profession.SPECIALISTLAKARE,
            Profession.ARBETSTERAPEUT);

    private static final List<Profession> HEMTJANST_STAFF = List.of(
            Profession.PATIENTANSVARIG_SJUKSKOTERSKA,
            Profession.UNDERSKOTERSKA,
            Profession.UNDERSKOTERSKA,
            Profession.PATIENTANSVARIG_SJUKSKOTERSKA,
            Profession.UNDERSKOTERSKA,
            Profession.UNDERSKOTERSKA,
            Profession.ARBETSTERAPEUT,
            Profession.UNDERSKOTERSKA,
            Profession.FYSIOTERAPEUT,
            Profession.UNDERSKOTERSKA);

    /** Unit kinds by index modulo 10: half vårdcentraler, 30 % clinics, 20 % home care. */
    private static final List<UnitKind> UNIT_PATTERN = List.of(
            UnitKind.VARDCENTRAL,
            UnitKind.KLINIK,
            UnitKind.VARDCENTRAL,
            UnitKind.HEMTJANST,
            UnitKind.VARDCENTRAL,
            UnitKind.KLINIK,
            UnitKind.VARDCENTRAL,
            UnitKind.HEMTJANST,
            UnitKind.VARDCENTRAL,
            UnitKind.KLINIK);

    private static final String REGION_ORGANISATION_NUMBER = "SE2321000073";
    private static final String MUNICIPALITY_ORGANISATION_NUMBER = "SE2120009999";

    private final String prefix;
    private final LocalDate today;
    private final long contractSeed;
    private final List<PersonalNumber> numbers;
    private final List<Unit> units = new ArrayList<>();
    private final List<Clinician> clinicians = new ArrayList<>();

    /** The default directory: {@value #DEFAULT_UNITS} units, {@value #DEFAULT_PRACTITIONERS} practitioners. */
    SyntheticPopulation(long seed, int count, LocalDate today) {
        this(seed, count, today, Set.of());
    }

    /**
     * A population whose patients hold none of the personnummer in {@code taken}: those of the
     * populations already in the database, which the server would refuse a second Patient for.
     */
    SyntheticPopulation(long seed, int count, LocalDate today, Set<String> taken) {
        this(seed, count, today, DEFAULT_UNITS, DEFAULT_PRACTITIONERS, taken);
    }

    SyntheticPopulation(long seed, int count, LocalDate today, int unitCount, int practitionerCount) {
        this(seed, count, today, unitCount, practitionerCount, Set.of());
    }

    private SyntheticPopulation(
            long seed, int count, LocalDate today, int unitCount, int practitionerCount, Set<String> taken) {
        if (unitCount < 5 || practitionerCount < 2 * unitCount) {
            // Every kind of unit, and a physician and a nurse at each, so every team can be made.
            throw new IllegalArgumentException("need at least 5 units and two practitioners per unit");
        }
        this.prefix = "syn" + seed;
        this.today = today;
        SplittableRandom root = new SplittableRandom(seed);
        PersonalNumbers draws = new PersonalNumbers(root.nextLong(), today, taken);
        this.contractSeed = root.nextLong();
        this.numbers = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            numbers.add(draws.next());
        }
        buildDirectory(root.split(), unitCount, practitionerCount);
    }

    /** The care giver (vårdgivare) of a unit: the region, or the municipality for home care. */
    static String careGiverOf(Unit unit) {
        return careGiverOfUnit(unit.hsaId());
    }

    /** The care giver of the unit with this HSA-id: the organisation number it begins with. */
    static String careGiverOfUnit(String hsaId) {
        return hsaId.substring(0, REGION_ORGANISATION_NUMBER.length());
    }

    LocalDate today() {
        return today;
    }

    /** The personnummer and samordningsnummer of every patient, in contract order. */
    Set<String> personalNumbers() {
        Set<String> values = new HashSet<>();
        numbers.forEach(number -> values.add(number.value()));
        return values;
    }

    int count() {
        return numbers.size();
    }

    List<Unit> units() {
        return Collections.unmodifiableList(units);
    }

    List<Clinician> clinicians() {
        return Collections.unmodifiableList(clinicians);
    }

    private void buildDirectory(SplittableRandom random, int unitCount, int practitionerCount) {
        Set<String> names = new HashSet<>();
        int clinics = 0;
        for (int i = 0; i < unitCount; i++) {
            UnitKind kind = UNIT_PATTERN.get(i % UNIT_PATTERN.size());
            String town = SwedishTexts.TOWNS.get(i % SwedishTexts.TOWNS.size());
            String name =
                    switch (kind) {
                        case VARDCENTRAL -> "Vårdcentralen " + town;
                        case KLINIK -> SwedishTexts.CLINICS.get(clinics++ % SwedishTexts.CLINICS.size()) + " " + town;
                        case HEMTJANST -> "Hemtjänsten " + town + " kommun";
                    };
            String unique = name;
            for (int n = 2; !names.add(unique); n++) {
                unique = name + " " + n;
            }
            String organisation =
                    kind == UnitKind.HEMTJANST ? MUNICIPALITY_ORGANISATION_NUMBER : REGION_ORGANISATION_NUMBER;
            String code = kind == UnitKind.VARDCENTRAL ? "VC" : kind == UnitKind.KLINIK ? "KL" : "HT";
            units.add(new Unit(
                    prefix + "-org-" + i,
                    String.format("%s-%s%04d", organisation, code, i),
                    unique,
                    kind,
                    town,
                    SwedishTexts.fictionLandline(i)));
        }
        for (int j = 0; j < practitionerCount; j++) {
            Unit unit = units.get(j % unitCount);
            int slot = j / unitCount;
            List<Profession> staff =
                    switch (unit.kind()) {
                        case VARDCENTRAL -> VARDCENTRAL_STAFF;
                        case KLINIK -> KLINIK_STAFF;
                        case HEMTJANST -> HEMTJANST_STAFF;
                    };
            boolean female = random.nextInt(100) < 60;
            String given = pick(random, female ? SwedishTexts.FEMALE_NAMES : SwedishTexts.MALE_NAMES);
            String family = pick(random, SwedishTexts.FAMILY_NAMES);
            clinicians.add(new Clinician(
                    prefix + "-pract-" + j,
                    prefix + "-role-" + j,
                    String.format("%s-P%05d", unit.hsaId().substring(0, 12), j),
                    given,
                    family,
                    staff.get(slot % staff.size()),
                    unit,
                    SwedishTexts.fictionLandline(j)));
        }
    }

    /** Contract {@code index} (0-based, below {@link #count()}). */
    Contract contract(int index) {
        SplittableRandom random = new SplittableRandom(contractSeed + index);
        PersonalNumber number = numbers.get(index);
        int age = number.age(today);
        String patientId = prefix + "-" + index;
        String given = pick(random, number.female() ? SwedishTexts.FEMALE_NAMES : SwedishTexts.MALE_NAMES);
        String family = pick(random, SwedishTexts.FAMILY_NAMES);
        Unit home = pick(random, unitsOf(UnitKind.VARDCENTRAL));

        boolean homeCare = random.nextDouble() < (age >= 75 ? 0.35 : age >= 65 ? 0.1 : 0);
        Unit municipality = homeCare ? pick(random, unitsOf(UnitKind.HEMTJANST)) : null;
        Clinician lakarkontakt =
                random.nextDouble() < 0.70 ? pick(random, staffAt(home, Profession.ALLMANLAKARE)) : null;
        Clinician vardkontakt = null;
        if (random.nextDouble() < 0.85) {
            if (homeCare) {
                vardkontakt = pick(random, staffAt(municipality, Profession.PATIENTANSVARIG_SJUKSKOTERSKA));
            } else if (random.nextDouble() < 0.2) {
                Unit clinic = pick(random, unitsOf(UnitKind.KLINIK));
                vardkontakt = pick(random, staffAt(clinic, Profession.SJUKSKOTERSKA));
            } else {
                vardkontakt = pick(random, staffAt(home, Profession.DISTRIKTSSKOTERSKA, Profession.SJUKSKOTERSKA));
            }
        }
        if (vardkontakt == null && lakarkontakt == null) {
            lakarkontakt = pick(random, staffAt(home, Profession.ALLMANLAKARE));
        }
        Clinician omsorgskontakt = homeCare ? pick(random, staffAt(municipality, Profession.UNDERSKOTERSKA)) : null;
        Unit managingUnit = vardkontakt != null ? vardkontakt.unit() : home;
        Unit sipAuthor = (homeCare && random.nextDouble() < 0.7) || random.nextDouble() < 0.04
                ? (homeCare ? municipality : home)
                : null;

        double statusDraw = random.nextDouble();
        ContractStatus status = statusDraw < 0.88
                ? ContractStatus.ACTIVE
                : statusDraw < 0.95 ? ContractStatus.COMPLETED : ContractStatus.REVOKED;
        LocalDate created;
        LocalDate periodEnd;
        switch (status) {
            case ACTIVE -> {
                created = today.minusDays(random.nextInt(331));
                periodEnd = created.plusYears(1);
            }
            case COMPLETED -> {
                created = today.minusDays(400 + random.nextInt(500));
                periodEnd = created.plusYears(1);
            }
            default -> {
                created = today.minusDays(30 + random.nextInt(470));
                periodEnd = created.plusDays(7 + random.nextLong(DAYS.between(created, today) - 6));
            }
        }
        double methodDraw = random.nextDouble();
        String agreementMethod = methodDraw < 0.5 ? "digital" : methodDraw < 0.85 ? "paper" : "oral";

        List<String> conditions = age < 18
                ? List.of(pick(random, SwedishTexts.CHILD_CONDITIONS))
                : distinct(random, SwedishTexts.ADULT_CONDITIONS, 1 + random.nextInt(3));
        Party patient = new Party("Patient/" + patientId, given + " " + family);
        Party team = new Party("CareTeam/" + patientId + "-kontaktteam", genitive(given) + " fasta kontakter");

        List<Activity> activities = new ArrayList<>();
        String ongoing =
                switch (status) {
                    case ACTIVE -> "in-progress";
                    case COMPLETED -> "completed";
                    case REVOKED -> "stopped";
                };
        for (String text : distinct(random, SwedishTexts.PATIENT_RESPONSIBILITIES, 1 + random.nextInt(3))) {
            activities.add(new Activity("patient-responsibility", text, patient, ongoing, null, null));
        }
        if (vardkontakt != null) {
            activities.add(careResponsibility(pick(random, SwedishTexts.CARE_BY_NURSE), party(vardkontakt), ongoing));
        }
        if (lakarkontakt != null) {
            activities.add(
                    careResponsibility(pick(random, SwedishTexts.CARE_BY_PHYSICIAN), party(lakarkontakt), ongoing));
        }
        if (municipality != null) {
            activities.add(careResponsibility(
                    pick(random, SwedishTexts.CARE_BY_HOME_CARE),
                    new Party("Organization/" + municipality.id(), municipality.name()),
                    ongoing));
        }
        activities.add(new Activity("escalation", pick(random, SwedishTexts.ESCALATIONS), team, ongoing, null, null));
        addNextSteps(random, status, created, periodEnd, vardkontakt, lakarkontakt, activities);
        addFollowUp(random, status, created, periodEnd, vardkontakt, lakarkontakt, activities);

        return new Contract(
                patientId,
                number,
                given,
                family,
                pick(random, SwedishTexts.STREETS) + " " + (1 + random.nextInt(60)),
                String.format("%03d %02d", 100 + random.nextInt(890), random.nextInt(100)),
                home.town(),
                SwedishTexts.fictionMobile(index),
                status,
                created,
                periodEnd,
                agreementMethod,
                random.nextDouble() < 0.9,
                vardkontakt != null && random.nextDouble() < 0.6,
                vardkontakt,
                lakarkontakt,
                omsorgskontakt,
                managingUnit,
                sipAuthor,
                conditions,
                pick(random, SwedishTexts.WHAT_MATTERS),
                pick(random, SwedishTexts.SHARED_GOALS),
                List.copyOf(activities));
    }

    /**
     * An active contract has one open next step promised between 30 days ago and 90 days ahead
     * (so about a quarter are overdue), and often a completed one before it; a completed
     * contract's steps are all done, a revoked contract's open step was cancelled.
     */
    private void addNextSteps(
            SplittableRandom random,
            ContractStatus status,
            LocalDate created,
            LocalDate periodEnd,
            Clinician vardkontakt,
            Clinician lakarkontakt,
            List<Activity> activities) {
        Clinician performer =
                lakarkontakt != null && (vardkontakt == null || random.nextBoolean()) ? lakarkontakt : vardkontakt;
        long daysSoFar = DAYS.between(created, status == ContractStatus.ACTIVE ? today : periodEnd);
        if (daysSoFar > 14 && random.nextDouble() < 0.5) {
            LocalDate done = created.plusDays(7 + random.nextLong(daysSoFar - 7));
            activities.add(new Activity(
                    "next-step",
                    pick(random, SwedishTexts.NEXT_STEPS),
                    party(performer),
                    "completed",
                    done.minusDays(random.nextInt(15)),
                    done));
        }
        LocalDate promised;
        String stepStatus;
        switch (status) {
            case ACTIVE -> {
                LocalDate due = today.plusDays(-30 + random.nextInt(120));
                promised = due.isBefore(created) ? created : due;
                stepStatus = "scheduled";
            }
            case COMPLETED -> {
                promised = periodEnd.minusDays(random.nextInt(60));
                stepStatus = "completed";
            }
            default -> {
                promised = periodEnd.plusDays(random.nextInt(60));
                stepStatus = "cancelled";
            }
        }
        activities.add(new Activity(
                "next-step",
                pick(random, SwedishTexts.NEXT_STEPS),
                party(performer),
                stepStatus,
                promised.minusDays(random.nextInt(15)),
                promised));
    }

    /** The contract's own review: due within half a year (a few overdue) while it is active. */
    private void addFollowUp(
            SplittableRandom random,
            ContractStatus status,
            LocalDate created,
            LocalDate periodEnd,
            Clinician vardkontakt,
            Clinician lakarkontakt,
            List<Activity> activities) {
        Clinician performer = vardkontakt != null ? vardkontakt : lakarkontakt;
        LocalDate due;
        String followUpStatus;
        switch (status) {
            case ACTIVE -> {
                LocalDate planned = today.plusDays(-20 + random.nextInt(200));
                due = planned.isBefore(created.plusDays(30)) ? created.plusDays(30) : planned;
                followUpStatus = "scheduled";
            }
            case COMPLETED -> {
                due = periodEnd;
                followUpStatus = "completed";
            }
            default -> {
                due = created.plusMonths(6);
                followUpStatus = "cancelled";
            }
        }
        activities.add(new Activity(
                "follow-up",
                pick(random, SwedishTexts.FOLLOW_UPS),
                party(performer),
                followUpStatus,
                due.minusDays(14),
                due));
    }

    private List<Unit> unitsOf(UnitKind kind) {
        return units.stream().filter(unit -> unit.kind() == kind).toList();
    }

    private List<Clinician> staffAt(Unit unit, Profession... professions) {
        List<Profession> wanted = List.of(professions);
        return clinicians.stream()
                .filter(c -> c.unit().equals(unit) && wanted.contains(c.profession()))
                .toList();
    }

    private static Party party(Clinician clinician) {
        return new Party("PractitionerRole/" + clinician.roleId(), clinician.display());
    }

    /** Swedish genitive: Anna → Annas, Jonas → Jonas. */
    static String genitive(String name) {
        return name.endsWith("s") || name.endsWith("x") || name.endsWith("z") ? name : name + "s";
    }

    private static <T> T pick(SplittableRandom random, List<T> list) {
        return list.get(random.nextInt(list.size()));
    }

    private static <T> List<T> distinct(SplittableRandom random, List<T> list, int count) {
        List<T> copy = new ArrayList<>(list);
        List<T> picked = new ArrayList<>();
        for (int i = 0; i < count && !copy.isEmpty(); i++) {
            picked.add(copy.remove(random.nextInt(copy.size())));
        }
        return picked;
    }
}
