package se.patientkontrakt.fhir.bench;

import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Draws unique, valid Swedish personal numbers for a synthetic population: 12 digits
 * YYYYMMDDNNNC with a real date of birth, the third serial digit odd for men and even for women,
 * and a Luhn check digit (Skatteverket, SKV 704). About one in fifty is a samordningsnummer
 * (coordination number: day of birth + 60), which people without a Swedish registration get.
 *
 * <p>Ages are spread over 0–100 and by default weighted towards the patients a contract is for:
 * half are 65 or older (chronic and complex patients come first; Kalmar's RUB-5 group has a mean
 * age of 74), 38 % are 18–64 and 12 % are children. {@link AgeProfile#RESIDENTS} spreads them as
 * a county's residents instead, for a listed population.
 *
 * <p>Deterministic: the same seed and reference date give the same sequence. A number drawn
 * twice is drawn again, so every number in one sequence is unique; numbers given as taken (those
 * of another population in the same database) are drawn again too.
 */
final class PersonalNumbers {

    /** One drawn number and what it says about its holder. */
    record PersonalNumber(String value, boolean samordningsnummer, LocalDate birthDate, boolean female) {

        int age(LocalDate today) {
            return (int) ChronoUnit.YEARS.between(birthDate, today);
        }
    }

    /**
     * How ages are spread: {@code shares[k]} of the numbers are aged {@code youngest[k]} up to
     * {@code youngest[k + 1] - 1} (the last band up to 100).
     */
    record AgeProfile(double[] shares, int[] youngest) {

        /** Patients a contract is for: half 65 or older, 38 % 18–64, 12 % children. */
        static final AgeProfile CONTRACTS = new AgeProfile(new double[] {0.12, 0.38, 0.50}, new int[] {0, 18, 65});

        /**
         * A Swedish county's residents, roughly as SCB counts an older county such as Kalmar län:
         * 20 % children, 55 % 18–64, 12 % 65–74, 13 % 75 and over.
         */
        static final AgeProfile RESIDENTS =
                new AgeProfile(new double[] {0.20, 0.55, 0.12, 0.13}, new int[] {0, 18, 65, 75});
    }

    private static final double SAMORDNINGSNUMMER_SHARE = 0.02;

    private final SplittableRandom random;
    private final LocalDate today;
    private final AgeProfile ages;
    private final Set<String> issued = new HashSet<>();

    PersonalNumbers(long seed, LocalDate today) {
        this(seed, today, Set.of());
    }

    PersonalNumbers(long seed, LocalDate today, Set<String> taken) {
        this(seed, today, taken, AgeProfile.CONTRACTS);
    }

    PersonalNumbers(long seed, LocalDate today, Set<String> taken, AgeProfile ages) {
        this.random = new SplittableRandom(seed);
        this.today = today;
        this.ages = ages;
        this.issued.addAll(taken);
    }

    PersonalNumber next() {
        while (true) {
            LocalDate birthDate = birthDate();
            boolean female = random.nextBoolean();
            boolean coordination = random.nextDouble() < SAMORDNINGSNUMMER_SHARE;
            // NNN: a two-digit birth number, then a digit whose parity gives the sex.
            int serial = random.nextInt(100) * 10 + random.nextInt(5) * 2 + (female ? 0 : 1);
            int day = birthDate.getDayOfMonth() + (coordination ? 60 : 0);
            String withoutCheck =
                    String.format("%04d%02d%02d%03d", birthDate.getYear(), birthDate.getMonthValue(), day, serial);
            String value = withoutCheck + luhnCheckDigit(withoutCheck.substring(2));
            if (issued.add(value)) {
                return new PersonalNumber(value, coordination, birthDate, female);
            }
        }
    }

    private LocalDate birthDate() {
        double draw = random.nextDouble();
        int band = 0;
        for (double cumulative = ages.shares()[0];
                draw >= cumulative && band < ages.shares().length - 1;
                cumulative += ages.shares()[band]) {
            band++;
        }
        int youngest = ages.youngest()[band];
        int oldest = band + 1 < ages.youngest().length ? ages.youngest()[band + 1] - 1 : 100;
        // Born after (today - oldest - 1 years) and on or before (today - youngest years).
        LocalDate latest = today.minusYears(youngest);
        LocalDate earliest = today.minusYears(oldest + 1L).plusDays(1);
        return earliest.plusDays(random.nextLong(ChronoUnit.DAYS.between(earliest, latest) + 1));
    }

    /** The Luhn digit over YYMMDDNNN: weights 2,1,2,… from the left, digits of products summed. */
    static int luhnCheckDigit(String nineDigits) {
        int sum = 0;
        for (int i = 0; i < nineDigits.length(); i++) {
            int product = (nineDigits.charAt(i) - '0') * (i % 2 == 0 ? 2 : 1);
            sum += product / 10 + product % 10;
        }
        return (10 - sum % 10) % 10;
    }
}
