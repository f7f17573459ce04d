package se.patientkontrakt.fhir.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static se.patientkontrakt.fhir.contract.SwedishIdentifiers.PERSONNUMMER;
import static se.patientkontrakt.fhir.contract.SwedishIdentifiers.SAMORDNINGSNUMMER;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SwedishIdentifiersTest {

    @ParameterizedTest
    @CsvSource({"194205142484", "195109031376", "199002272384", "191212121212"})
    void acceptsValidPersonnummer(String value) {
        assertThat(SwedishIdentifiers.problem(PERSONNUMMER, value)).isEmpty();
    }

    @Test
    void acceptsAValidSamordningsnummerWithSixtyAddedToTheDay() {
        // 1990-02-07 + 60 days = day 67; check digit computed over 900267238.
        String value = "19900267238" + SwedishIdentifiers.luhnCheckDigit("900267238");

        assertThat(SwedishIdentifiers.problem(SAMORDNINGSNUMMER, value)).isEmpty();
        assertThat(SwedishIdentifiers.problem(PERSONNUMMER, value))
                .hasValueSatisfying(p -> assertThat(p).contains("valid date"));
    }

    @Test
    void refusesAWrongCheckDigitAndNamesTheRightOne() {
        assertThat(SwedishIdentifiers.problem(PERSONNUMMER, "194205142485"))
                .hasValueSatisfying(p -> assertThat(p).contains("wrong check digit", "is 4, not 5"));
    }

    @ParameterizedTest
    @CsvSource({"19420532248", "194213142484", "194202302484", "4205142484", "19420514-2484", "19420514248X"})
    void refusesMalformedNumbersAndImpossibleDates(String value) {
        assertThat(SwedishIdentifiers.problem(PERSONNUMMER, value)).isPresent();
    }

    @Test
    void refusesASamordningsnummerWithoutTheSixtyDays() {
        assertThat(SwedishIdentifiers.problem(SAMORDNINGSNUMMER, "194205142484"))
                .hasValueSatisfying(p -> assertThat(p).contains("60 added"));
    }

    @Test
    void mapsLegacyOidsToTheHl7SwedenSystems() {
        assertThat(SwedishIdentifiers.canonicalSystem("urn:oid:1.2.752.129.2.1.3.1"))
                .isEqualTo(PERSONNUMMER);
        assertThat(SwedishIdentifiers.canonicalSystem("urn:oid:1.2.752.129.2.1.3.3"))
                .isEqualTo(SAMORDNINGSNUMMER);
        assertThat(SwedishIdentifiers.canonicalSystem("urn:oid:1.2.752.129.2.1.4.1"))
                .isEqualTo(SwedishIdentifiers.HSA_ID);
        assertThat(SwedishIdentifiers.canonicalSystem("urn:other")).isEqualTo("urn:other");
    }

    @Test
    void anIdentifierWithoutASystemIsNoPersonalNumber() {
        assertThat(SwedishIdentifiers.canonicalSystem(null)).isNull();
        assertThat(SwedishIdentifiers.isPersonalNumberSystem(null)).isFalse();
    }
}
