package se.patientkontrakt.fhir.security;

import static org.assertj.core.api.Assertions.assertThat;
import static se.patientkontrakt.fhir.security.PdlRule.Access.BLOCKED;
import static se.patientkontrakt.fhir.security.PdlRule.Access.DENIED;
import static se.patientkontrakt.fhir.security.PdlRule.Access.READ;

import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.contract.Owner;
import se.patientkontrakt.fhir.security.PdlRule.Facts;
import se.patientkontrakt.fhir.security.PdlRule.Reader;

/** The read rule of Patientdatalagen, case by case ({@link PdlRule}). */
class PdlRuleTest {

    private static final String REGION = "SE2321000073";
    private static final String KOMMUN = "SE2120009999";
    private static final String VC = REGION + "-VCNY01";
    private static final String ORTO = REGION + "-ORTO01";
    private static final String HEMTJANST = KOMMUN + "-HTNY01";

    private static final Owner BY_VC = new Owner(REGION, VC);
    private static final Owner BY_ORTO = new Owner(REGION, ORTO);
    private static final Owner BY_HEMTJANST = new Owner(KOMMUN, HEMTJANST);

    private static final Facts NOTHING = facts(Set.of(), Set.of(), Set.of(), Set.of());

    @Test
    void aUnitAlwaysReadsWhatItOwnsEvenUnderItsOwnSpärr() {
        Facts blocked = facts(Set.of(), Set.of(), Set.of(VC), Set.of(REGION));
        assertThat(PdlRule.decide(BY_VC, person(REGION, VC), blocked)).isEqualTo(READ);
        assertThat(PdlRule.decide(BY_VC, system(REGION, VC), blocked)).isEqualTo(READ);
    }

    @Test
    void anotherUnitOfTheCareGiverNeedsACareRelationship() {
        assertThat(PdlRule.decide(BY_VC, person(REGION, ORTO), NOTHING)).isEqualTo(DENIED);
        assertThat(PdlRule.decide(BY_VC, person(REGION, ORTO), facts(Set.of(ORTO), Set.of(), Set.of(), Set.of())))
                .isEqualTo(READ);
        assertThat(PdlRule.decide(BY_VC, declared(REGION, ORTO), NOTHING)).isEqualTo(READ);
    }

    @Test
    void anotherCareGiverNeedsARelationshipAndConsentOrEmergencyAccess() {
        Facts takingPart = facts(Set.of(HEMTJANST), Set.of(), Set.of(), Set.of());
        Facts consented = facts(Set.of(HEMTJANST), Set.of(KOMMUN), Set.of(), Set.of());
        assertThat(PdlRule.decide(BY_VC, person(KOMMUN, HEMTJANST), takingPart)).isEqualTo(DENIED);
        assertThat(PdlRule.decide(BY_VC, person(KOMMUN, HEMTJANST), consented)).isEqualTo(READ);
        assertThat(PdlRule.decide(BY_VC, emergency(KOMMUN, HEMTJANST), NOTHING)).isEqualTo(READ);
        Facts consentWithoutRelationship = facts(Set.of(), Set.of(KOMMUN), Set.of(), Set.of());
        assertThat(PdlRule.decide(BY_VC, person(KOMMUN, HEMTJANST), consentWithoutRelationship))
                .isEqualTo(DENIED);
        Facts consentForSomeoneElse = facts(Set.of(HEMTJANST), Set.of("SE2321000180"), Set.of(), Set.of());
        assertThat(PdlRule.decide(BY_VC, person(KOMMUN, HEMTJANST), consentForSomeoneElse))
                .isEqualTo(DENIED);
    }

    @Test
    void aSpärrHoldsAgainstEveryoneElseWhateverTheyDeclare() {
        Facts inre = facts(Set.of(ORTO, HEMTJANST), Set.of(KOMMUN), Set.of(VC), Set.of());
        assertThat(PdlRule.decide(BY_VC, person(REGION, ORTO), inre)).isEqualTo(BLOCKED);
        assertThat(PdlRule.decide(BY_VC, emergency(REGION, ORTO), inre)).isEqualTo(BLOCKED);
        assertThat(PdlRule.decide(BY_VC, person(KOMMUN, HEMTJANST), inre)).isEqualTo(BLOCKED);
        assertThat(PdlRule.decide(BY_ORTO, person(KOMMUN, HEMTJANST), inre)).isEqualTo(READ);

        Facts yttre = facts(Set.of(ORTO, HEMTJANST), Set.of(KOMMUN), Set.of(), Set.of(REGION));
        assertThat(PdlRule.decide(BY_VC, person(REGION, ORTO), yttre)).isEqualTo(READ);
        assertThat(PdlRule.decide(BY_VC, person(KOMMUN, HEMTJANST), yttre)).isEqualTo(BLOCKED);
        assertThat(PdlRule.decide(BY_VC, emergency(KOMMUN, HEMTJANST), yttre)).isEqualTo(BLOCKED);
        assertThat(PdlRule.decide(BY_HEMTJANST, person(REGION, ORTO), yttre)).isEqualTo(DENIED);
    }

    @Test
    void aSystemReadsItsOwnCareGiversDataOutsideAnySpärrAndNoOneElses() {
        assertThat(PdlRule.decide(BY_ORTO, system(REGION, VC), NOTHING)).isEqualTo(READ);
        assertThat(PdlRule.decide(BY_ORTO, system(REGION, VC), facts(Set.of(), Set.of(), Set.of(ORTO), Set.of())))
                .isEqualTo(BLOCKED);
        assertThat(PdlRule.decide(
                        BY_HEMTJANST, system(REGION, VC), facts(Set.of(VC), Set.of(REGION), Set.of(), Set.of())))
                .isEqualTo(DENIED);
    }

    private static Facts facts(
            Set<String> units, Set<String> consents, Set<String> blockedUnits, Set<String> blockedGivers) {
        return new Facts(units, consents, blockedUnits, blockedGivers);
    }

    private static Reader person(String careGiver, String unit) {
        return new Reader(commission(careGiver, unit, true), true, false, false);
    }

    private static Reader declared(String careGiver, String unit) {
        return new Reader(commission(careGiver, unit, true), true, true, false);
    }

    private static Reader emergency(String careGiver, String unit) {
        return new Reader(commission(careGiver, unit, true), true, false, true);
    }

    private static Reader system(String careGiver, String unit) {
        return new Reader(commission(careGiver, unit, false), false, false, false);
    }

    private static Commission commission(String careGiver, String unit, boolean person) {
        return new Commission(
                careGiver,
                unit,
                person ? Optional.of(careGiver + "-P1") : Optional.empty(),
                Optional.of("Vård och behandling"));
    }
}
