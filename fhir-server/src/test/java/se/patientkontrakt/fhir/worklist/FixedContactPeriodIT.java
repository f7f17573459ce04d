package se.patientkontrakt.fhir.worklist;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.time.LocalDate;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.SearchEntryMode;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.CareTeam.CareTeamParticipantComponent;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.MeasureReport;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.FhirIT;
import se.patientkontrakt.fhir.MalgruppFixture;
import se.patientkontrakt.fhir.SettableClock;
import se.patientkontrakt.fhir.contract.Vocabulary;
import se.patientkontrakt.fhir.hapi.FixedContactReindex;

/**
 * A fixed contact counts only while its period holds: in the work lists ({@code
 * care-team.fast-vardkontakt}, {@code care-team.fast-lakarkontakt}), their totals and the
 * follow-up measures, one day after another. The periods are written relative to today (D); the
 * next day is the server's clock moved to D+1 and the nightly re-index run, as it runs after
 * midnight. Each contract has a care unit of its own, so its measure stratum is exact. A target
 * group's members ({@code Group?current-member=}) follow the days the same way.
 */
class FixedContactPeriodIT extends FhirIT {

    private static final LocalDate TODAY = LocalDate.now(Vocabulary.SWEDEN);

    @Autowired
    private SettableClock clock;

    @Autowired
    private FixedContactReindex reindex;

    @AfterEach
    void backToToday() {
        clock.reset();
        reindex.indexToday();
    }

    @Test
    void aContactWhoseTimeHasEndedIsNoLongerTheFixedContact() {
        ContractFixture contract = ContractFixture.create(fhirContext);
        period(contract.participant("1"), TODAY.minusMonths(6), TODAY.minusDays(1));
        period(contract.participant("2"), TODAY.minusYears(2), TODAY.minusDays(1));
        store(contract);

        assertThat(fixedContactsOf(contract.careContactRoleId())).doesNotContain(contract.contractId());
        assertThat(fixedGpOf(contract.gpRoleId())).doesNotContain(contract.contractId());
        assertThat(byPractitioner(contract.careContactPractitionerId())).doesNotContain(contract.contractId());
        assertThat(share("pk-fast-vardkontakt-andel", contract)).isEqualTo(new Share(1, 0));
        assertThat(share("pk-fast-lakarkontakt-andel", contract)).isEqualTo(new Share(1, 0));
    }

    @Test
    void aContactWhoStartsLaterCountsFromTheFirstDay() {
        ContractFixture contract = ContractFixture.create(fhirContext);
        period(contract.participant("1"), TODAY.plusDays(1), null);
        store(contract);

        assertThat(fixedContactsOf(contract.careContactRoleId())).doesNotContain(contract.contractId());
        assertThat(share("pk-fast-vardkontakt-andel", contract)).isEqualTo(new Share(1, 0));

        nextDay();

        assertThat(fixedContactsOf(contract.careContactRoleId())).contains(contract.contractId());
        assertThat(share("pk-fast-vardkontakt-andel", contract)).isEqualTo(new Share(1, 1));
    }

    @Test
    void aHandoverWrittenInAdvanceNamesTheRightContactOnEachDay() {
        ContractFixture contract = ContractFixture.create(fhirContext);
        String oldContact = contract.careContactRoleId();
        String newContact = contract.gpRoleId();
        period(contract.participant("1"), TODAY.minusMonths(3), TODAY);
        fastVardkontakt(contract, newContact, TODAY.plusDays(1));
        store(contract); // pk-7: one fast vårdkontakt in force today

        assertThat(fixedContactsOf(oldContact)).contains(contract.contractId());
        assertThat(fixedContactsOf(newContact)).doesNotContain(contract.contractId());
        assertThat(share("pk-fast-vardkontakt-andel", contract)).isEqualTo(new Share(1, 1));

        nextDay();

        assertThat(fixedContactsOf(oldContact)).doesNotContain(contract.contractId());
        assertThat(fixedContactsOf(newContact)).contains(contract.contractId());
        assertThat(share("pk-fast-vardkontakt-andel", contract)).isEqualTo(new Share(1, 1));
    }

    @Test
    void aHandoverTheDayAfterIsAcceptedAndNamesTheNewContact() {
        ContractFixture contract = ContractFixture.create(fhirContext);
        period(contract.participant("1"), TODAY.minusMonths(3), TODAY.minusDays(1));
        fastVardkontakt(contract, contract.gpRoleId(), TODAY);
        store(contract);

        assertThat(fixedContactsOf(contract.careContactRoleId())).doesNotContain(contract.contractId());
        assertThat(fixedContactsOf(contract.gpRoleId())).contains(contract.contractId());
    }

    @Test
    void twoFastVardkontakterInForceOnTheSameDayAreRefused() {
        ContractFixture contract = ContractFixture.create(fhirContext);
        period(contract.participant("1"), TODAY.minusMonths(3), TODAY);
        fastVardkontakt(contract, contract.gpRoleId(), TODAY);

        Response refused = fhir(contract.transaction()).when().post("/");

        refused.then().statusCode(422);
        assertThat(diagnostics(refused)).contains("pk-7");
    }

    /**
     * "In force today" in pk-7 is the server's day in Sweden, for the compiled checker and for the
     * HL7 validator it refers to, on a write and on {@code $validate}: FHIRPath's {@code today()}
     * alone would be the JVM's day (UTC on a server, so yesterday until 01:00 or 02:00 in Sweden).
     * With the clock a month ahead (day D): two contacts in force together only on D are refused,
     * and two in force together only by the JVM's day are accepted.
     */
    @Test
    void inForceTodayIsTheServersDayInSwedenForBothValidators() {
        LocalDate day = TODAY.plusMonths(1);
        clock.setToday(day);

        ContractFixture togetherOnTheDay = ContractFixture.create(fhirContext);
        period(togetherOnTheDay.participant("1"), TODAY.minusMonths(3), day);
        fastVardkontakt(togetherOnTheDay, togetherOnTheDay.gpRoleId(), day);
        Response refused = fhir(togetherOnTheDay.transaction()).when().post("/");
        refused.then().statusCode(422);
        assertThat(diagnostics(refused)).contains("pk-7");
        assertThat(errorsValidating(togetherOnTheDay.team())).contains("pk-7");

        ContractFixture togetherOnlyBefore = ContractFixture.create(fhirContext);
        period(togetherOnlyBefore.participant("1"), TODAY.minusMonths(3), day.minusDays(1));
        fastVardkontakt(togetherOnlyBefore, togetherOnlyBefore.gpRoleId(), TODAY);
        assertThat(errorsValidating(togetherOnlyBefore.team())).isEmpty();
        store(togetherOnlyBefore);
        assertThat(fixedContactsOf(togetherOnlyBefore.gpRoleId())).contains(togetherOnlyBefore.contractId());
    }

    @Test
    void anInactiveTeamHasNoFixedContacts() {
        ContractFixture contract = ContractFixture.create(fhirContext);
        contract.team().setStatus(CareTeam.CareTeamStatus.INACTIVE);
        store(contract);

        assertThat(fixedContactsOf(contract.careContactRoleId())).doesNotContain(contract.contractId());
        assertThat(fixedGpOf(contract.gpRoleId())).doesNotContain(contract.contractId());
        assertThat(share("pk-fast-vardkontakt-andel", contract)).isEqualTo(new Share(1, 0));
    }

    @Test
    void theWorkListsTotalCountsTheContactsInForceOnly() {
        ContractFixture inForce = ContractFixture.create(fhirContext);
        period(inForce.participant("1"), TODAY.minusMonths(1), null);
        ContractFixture ended = ContractFixture.create(fhirContext).fixedContact("1", inForce.careContactRoleId());
        period(ended.participant("1"), TODAY.minusMonths(6), TODAY.minusDays(1));
        store(inForce);
        store(ended);

        Bundle page = read(
                "/CarePlan?care-team.fast-vardkontakt=" + inForce.careContactRoleId() + "&_total=accurate",
                Bundle.class);

        assertThat(ids(page, SearchEntryMode.MATCH)).containsExactly(inForce.contractId());
        assertThat(page.getTotal()).isEqualTo(1);
    }

    @Test
    void aTargetGroupMemberWhoseTimeEndsTodayLeavesTheGroupAtMidnight() {
        ContractFixture contract = ContractFixture.create(fhirContext);
        store(contract);
        String joinsTomorrow = "Group/malgrupp-imorgon-" + contract.suffix();
        String leavesTonight = "Group/malgrupp-ikvall-" + contract.suffix();
        group(leavesTonight, contract.patientId(), TODAY.minusYears(1), TODAY);
        group(joinsTomorrow, contract.patientId(), TODAY.plusDays(1), null);

        assertThat(groupsOf(contract.patientId())).containsExactly(leavesTonight);

        nextDay();

        assertThat(groupsOf(contract.patientId())).containsExactly(joinsTomorrow);
    }

    // --- the days

    /** Midnight passes: the clock moves to D+1 and the nightly re-index runs. */
    private void nextDay() {
        clock.setToday(TODAY.plusDays(1));
        reindex.indexToday();
    }

    // --- the data

    /** Stores the contract, in force from the example's start with no end (so still in force today). */
    private void store(ContractFixture contract) {
        contract.contract().getPeriod().setEndElement(null);
        fhir(contract.transaction()).when().post("/").then().statusCode(200);
    }

    private static void period(CareTeamParticipantComponent participant, LocalDate start, LocalDate end) {
        Period period = new Period().setStartElement(new DateTimeType(start.toString()));
        if (end != null) {
            period.setEndElement(new DateTimeType(end.toString()));
        }
        participant.setPeriod(period);
    }

    /** Adds a second fast vårdkontakt (code 1), the role given, from the day given. */
    private static void fastVardkontakt(ContractFixture contract, String role, LocalDate from) {
        CareTeamParticipantComponent participant = contract.team().addParticipant();
        participant.addRole(new CodeableConcept(new Coding(ContractFixture.FAST_KONTAKT, "1", "Fast vårdkontakt")));
        participant.setMember(new Reference(role));
        period(participant, from, null);
    }

    /** The errors {@code $validate} finds in the care team against pk-kontaktteam (the HL7 validator). */
    private String errorsValidating(CareTeam team) {
        Response validation = fhir(team)
                .queryParam("profile", "https://patientkontrakt.se/fhir/StructureDefinition/pk-kontaktteam")
                .when()
                .post("/CareTeam/$validate");
        return outcome(validation).getIssue().stream()
                .filter(i -> i.getSeverity() == OperationOutcome.IssueSeverity.ERROR
                        || i.getSeverity() == OperationOutcome.IssueSeverity.FATAL)
                .map(OperationOutcome.OperationOutcomeIssueComponent::getDiagnostics)
                .reduce("", (a, b) -> a + " " + b);
    }

    /** A target group with the patient as its one member, for the period given. */
    private void group(String id, String patient, LocalDate start, LocalDate end) {
        Group group = MalgruppFixture.of(fhirContext, id, patient);
        Period period = new Period().setStartElement(new DateTimeType(start.toString()));
        if (end != null) {
            period.setEndElement(new DateTimeType(end.toString()));
        }
        group.getMemberFirstRep().setPeriod(period);
        fhir(group).when().put("/" + id).then().statusCode(201);
    }

    // --- reading

    private List<String> groupsOf(String patient) {
        return ids(read("/Group?current-member=" + patient, Bundle.class), SearchEntryMode.MATCH);
    }

    private List<String> fixedContactsOf(String role) {
        return contracts("care-team.fast-vardkontakt=" + role);
    }

    private List<String> fixedGpOf(String role) {
        return contracts("care-team.fast-lakarkontakt=" + role);
    }

    private List<String> byPractitioner(String practitioner) {
        return contracts("care-team.fast-vardkontakt:PractitionerRole.practitioner=" + practitioner);
    }

    private List<String> contracts(String query) {
        return ids(read("/CarePlan?" + query + "&_count=200", Bundle.class), SearchEntryMode.MATCH);
    }

    private record Share(int denominator, int numerator) {}

    /** The measure over today, in the contract's own care unit. */
    private Share share(String measure, ContractFixture contract) {
        MeasureReport report = read(
                "/Measure/" + measure + "/$evaluate-measure?periodStart=" + TODAY + "&periodEnd=" + TODAY,
                MeasureReport.class);
        MeasureReport.StratifierGroupComponent stratum =
                report.getGroupFirstRep().getStratifierFirstRep().getStratum().stream()
                        .filter(s -> contract.unitId().equals(s.getValue().getText()))
                        .findFirst()
                        .orElseThrow(() -> new AssertionError("no stratum for " + contract.unitId()));
        return new Share(count(stratum, "denominator"), count(stratum, "numerator"));
    }

    private static int count(MeasureReport.StratifierGroupComponent stratum, String code) {
        return stratum.getPopulation().stream()
                .filter(p -> p.getCode().getCodingFirstRep().getCode().equals(code))
                .mapToInt(MeasureReport.StratifierGroupPopulationComponent::getCount)
                .findFirst()
                .orElseThrow();
    }
}
