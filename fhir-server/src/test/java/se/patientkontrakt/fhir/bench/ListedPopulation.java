package se.patientkontrakt.fhir.bench;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import se.patientkontrakt.fhir.bench.PersonalNumbers.AgeProfile;
import se.patientkontrakt.fhir.bench.PersonalNumbers.PersonalNumber;

/**
 * A reproducible synthetic population of a region's residents, not of contracts: each resident
 * listed (listning) at one of the region's health centres, and the region's target groups
 * (målgrupper) drawn from them as its data warehouse would (RUB 5, RUB 4, SÄBO, 75 år och äldre).
 * Most residents have no contract; this is the population the follow-up counts them against.
 *
 * <p>Ages follow a county's residents ({@link AgeProfile#RESIDENTS}). The groups' shares follow
 * age, so that RUB 5 is about 1.8 % of the residents (Region Kalmar län: some 5,400 in 300,000,
 * mean age in the seventies), RUB 4 about 5.6 % (RUB 4 and 5 exclude each other: a resident has one
 * band), SÄBO about 1 % (residents of 65 and over), and 75 år och äldre is everyone whose birth date
 * says so on {@code today}, a member since their 75th birthday.
 *
 * <p>Everything follows from the seed and {@code today}; resident {@code i} depends only on them
 * and {@code i} (its personal number on the draws before it), as in {@link SyntheticPopulation}.
 * Ids start with {@code pop<seed>-}.
 */
final class ListedPopulation {

    /** The target groups the generator draws, as codes of pk-malgrupp-typ. */
    enum Malgrupp {
        RUB_5("rub-5", "RUB 5 – mycket hög sjukvårdskonsumtion"),
        RUB_4("rub-4", "RUB 4 – hög sjukvårdskonsumtion"),
        SABO("sabo", "Bor på särskilt boende för äldre (SÄBO)"),
        PLUS_75("75-plus", "75 år och äldre");

        final String code;
        final String display;

        Malgrupp(String code, String display) {
            this.code = code;
            this.display = display;
        }
    }

    /** A health centre (vårdcentral) residents are listed at: a care unit of the region. */
    record HealthCentre(String id, String hsaId, String name, String town, String phone) {}

    /** One resident, with the health centre they are listed at and the groups they belong to since when. */
    record Resident(
            String patientId,
            PersonalNumber number,
            String given,
            String family,
            String street,
            String postalCode,
            String town,
            HealthCentre listedAt,
            Map<Malgrupp, LocalDate> memberSince) {

        String name() {
            return given + " " + family;
        }
    }

    static final String REGION_HSA_ID = "SE2321000073";
    static final String REGION_NAME = "Region Kalmar län";

    /** A health centre per this many residents, as a county of 300,000 has some 30. */
    private static final int RESIDENTS_PER_CENTRE = 10_000;

    private final String prefix;
    private final LocalDate today;
    private final long residentSeed;
    private final List<PersonalNumber> numbers;
    private final List<HealthCentre> centres = new ArrayList<>();

    ListedPopulation(long seed, int count, LocalDate today) {
        this(seed, count, today, Math.max(3, (count + RESIDENTS_PER_CENTRE - 1) / RESIDENTS_PER_CENTRE));
    }

    ListedPopulation(long seed, int count, LocalDate today, int centreCount) {
        if (centreCount < 1) {
            throw new IllegalArgumentException("a region has at least one health centre");
        }
        this.prefix = "pop" + seed;
        this.today = today;
        SplittableRandom root = new SplittableRandom(seed);
        PersonalNumbers draws = new PersonalNumbers(root.nextLong(), today, Set.of(), AgeProfile.RESIDENTS);
        this.residentSeed = root.nextLong();
        this.numbers = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            numbers.add(draws.next());
        }
        for (int c = 0; c < centreCount; c++) {
            String town = SwedishTexts.TOWNS.get(c % SwedishTexts.TOWNS.size());
            String name = "Vårdcentralen " + town
                    + (c < SwedishTexts.TOWNS.size() ? "" : " " + (c / SwedishTexts.TOWNS.size() + 1));
            centres.add(new HealthCentre(
                    prefix + "-vc-" + c,
                    String.format("%s-VC%03d%04d", REGION_HSA_ID, Math.floorMod(seed, 1000), c),
                    name,
                    town,
                    SwedishTexts.fictionLandline(c)));
        }
    }

    String prefix() {
        return prefix;
    }

    String regionId() {
        return prefix + "-region";
    }

    LocalDate today() {
        return today;
    }

    int count() {
        return numbers.size();
    }

    /** The personnummer and samordningsnummer of every resident. */
    Set<String> personalNumbers() {
        Set<String> values = new HashSet<>();
        numbers.forEach(number -> values.add(number.value()));
        return values;
    }

    List<HealthCentre> centres() {
        return Collections.unmodifiableList(centres);
    }

    String groupId(Malgrupp group) {
        return prefix + "-" + group.code;
    }

    /** Resident {@code index} (0-based, below {@link #count()}). */
    Resident resident(int index) {
        SplittableRandom random = new SplittableRandom(residentSeed + index);
        PersonalNumber number = numbers.get(index);
        int age = number.age(today);
        String given = pick(random, number.female() ? SwedishTexts.FEMALE_NAMES : SwedishTexts.MALE_NAMES);
        String family = pick(random, SwedishTexts.FAMILY_NAMES);
        HealthCentre centre = pick(random, centres);
        String street = pick(random, SwedishTexts.STREETS) + " " + (1 + random.nextInt(60));
        String postalCode = String.format("%03d %02d", 380 + random.nextInt(20), random.nextInt(100));

        Map<Malgrupp, LocalDate> since = new EnumMap<>(Malgrupp.class);
        double band = random.nextDouble();
        if (band < rub5Share(age)) {
            since.put(Malgrupp.RUB_5, monthWithin(random, 24, number.birthDate()));
        } else if (band < rub5Share(age) + rub4Share(age)) {
            since.put(Malgrupp.RUB_4, monthWithin(random, 24, number.birthDate()));
        }
        if (random.nextDouble() < saboShare(age)) {
            LocalDate moved = monthWithin(random, 60, number.birthDate().plusYears(65));
            since.put(Malgrupp.SABO, moved);
        }
        if (age >= 75) {
            since.put(Malgrupp.PLUS_75, number.birthDate().plusYears(75));
        }
        return new Resident(
                prefix + "-" + index, number, given, family, street, postalCode, centre.town(), centre, since);
    }

    /** Chances by age, chosen so the shares over {@link AgeProfile#RESIDENTS} are those above. */
    private static double rub5Share(int age) {
        return age < 18 ? 0.002 : age < 65 ? 0.008 : age < 75 ? 0.035 : 0.074;
    }

    private static double rub4Share(int age) {
        return age < 18 ? 0.01 : age < 65 ? 0.035 : age < 75 ? 0.12 : 0.17;
    }

    private static double saboShare(int age) {
        return age < 65 ? 0 : age < 75 ? 0.01 : age < 85 ? 0.05 : 0.08;
    }

    /** The first of a month within the last {@code months}, not before {@code earliest}. */
    private LocalDate monthWithin(SplittableRandom random, int months, LocalDate earliest) {
        LocalDate month = today.withDayOfMonth(1).minusMonths(random.nextInt(months));
        return month.isBefore(earliest) ? earliest : month;
    }

    private static <T> T pick(SplittableRandom random, List<T> list) {
        return list.get(random.nextInt(list.size()));
    }
}
