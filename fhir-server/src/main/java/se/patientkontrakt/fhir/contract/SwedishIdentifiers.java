package se.patientkontrakt.fhir.contract;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.Map;
import java.util.Optional;

/**
 * Swedish personal identity numbers: <i>personnummer</i> and <i>samordningsnummer</i>
 * (coordination number, day + 60), 12 digits YYYYMMDDNNNC where C is a Luhn check digit over
 * the last ten digits (Skatteverket, SKV 704). Systems follow HL7 Sweden's base profiles; the
 * legacy OIDs are accepted on input and mapped to them.
 */
public final class SwedishIdentifiers {

    public static final String PERSONNUMMER = "http://electronichealth.se/identifier/personnummer";
    public static final String SAMORDNINGSNUMMER = "http://electronichealth.se/identifier/samordningsnummer";
    public static final String HSA_ID = "urn:oid:1.2.752.29.4.19";

    /** Legacy OID systems still sent by older integrations, and what they mean today. */
    public static final Map<String, String> LEGACY_SYSTEMS = Map.of(
            "urn:oid:1.2.752.129.2.1.3.1", PERSONNUMMER,
            "urn:oid:1.2.752.129.2.1.3.3", SAMORDNINGSNUMMER,
            "urn:oid:1.2.752.129.2.1.4.1", HSA_ID);

    private SwedishIdentifiers() {}

    /**
     * The current system for a legacy OID, or the system itself; {@code null} for none. FHIR lets
     * an identifier leave out its system (<a href="https://hl7.org/fhir/R4/datatypes.html#Identifier">
     * Identifier</a>), and {@code Map.of} maps refuse a null key, so a Patient with such an
     * identifier would otherwise fail with 500.
     */
    public static String canonicalSystem(String system) {
        return system == null ? null : LEGACY_SYSTEMS.getOrDefault(system, system);
    }

    public static boolean isPersonalNumberSystem(String system) {
        String canonical = canonicalSystem(system);
        return PERSONNUMMER.equals(canonical) || SAMORDNINGSNUMMER.equals(canonical);
    }

    /**
     * What is wrong with a personnummer or samordningsnummer, in words a clerk understands, or
     * empty when it is valid.
     */
    public static Optional<String> problem(String system, String value) {
        boolean coordination = SAMORDNINGSNUMMER.equals(canonicalSystem(system));
        String kind = coordination ? "samordningsnummer" : "personnummer";
        if (value == null || !value.matches("\\d{12}")) {
            return Optional.of(kind + " '" + value + "' must be 12 digits, YYYYMMDDNNNC, without hyphen");
        }
        int year = Integer.parseInt(value.substring(0, 4));
        int month = Integer.parseInt(value.substring(4, 6));
        int day = Integer.parseInt(value.substring(6, 8));
        if (coordination) {
            if (day <= 60) {
                return Optional.of(kind + " '" + value + "' must have 60 added to the day of birth (day 61-91)");
            }
            day -= 60;
        }
        try {
            LocalDate.of(year, month, day);
        } catch (DateTimeException e) {
            return Optional.of(kind + " '" + value + "' does not hold a valid date of birth (" + value.substring(0, 8)
                    + (coordination ? ", day - 60" : "") + ")");
        }
        int expected = luhnCheckDigit(value.substring(2, 11));
        int actual = value.charAt(11) - '0';
        if (expected != actual) {
            return Optional.of(kind + " '" + value + "' has a wrong check digit: the Luhn check digit for "
                    + value.substring(0, 11) + " is " + expected + ", not " + actual);
        }
        return Optional.empty();
    }

    /** The Luhn digit over YYMMDDNNN: weights 2,1,2,… from the left, digits of products summed. */
    public static int luhnCheckDigit(String nineDigits) {
        int sum = 0;
        for (int i = 0; i < nineDigits.length(); i++) {
            int product = (nineDigits.charAt(i) - '0') * (i % 2 == 0 ? 2 : 1);
            sum += product / 10 + product % 10;
        }
        return (10 - sum % 10) % 10;
    }
}
