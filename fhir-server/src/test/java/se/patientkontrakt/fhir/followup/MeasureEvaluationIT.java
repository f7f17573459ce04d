package se.patientkontrakt.fhir.followup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.startsWith;

import ca.uhn.fhir.context.FhirContext;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CarePlan.CarePlanActivityDetailComponent;
import org.hl7.fhir.r4.model.CarePlan.CarePlanActivityStatus;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DateType;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.Measure;
import org.hl7.fhir.r4.model.MeasureReport;
import org.hl7.fhir.r4.model.MeasureReport.MeasureReportGroupComponent;
import org.hl7.fhir.r4.model.MeasureReport.StratifierGroupComponent;
import org.hl7.fhir.r4.model.Narrative;
import org.hl7.fhir.r4.model.OperationDefinition;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.FhirIT;
import se.patientkontrakt.fhir.contract.SwedishIdentifiers;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * The follow-up measures over a fixed data set made for this class, in two care units of its
 * own, A and B, evaluated for the period 2025-01-01 – 2025-12-31 (in the past, so "today" plays no
 * part). The units' strata are checked exactly; the whole region, which other tests' contracts
 * share, is checked as the change between a report before and one after this data was stored.
 *
 * <pre>
 * contract unit status     period                 contact team  SIP            next steps (promised date)                 follow-up (date)
 * C1 (P1)  A    active     2025-02-01 –           VK + LK       supportingInfo done 2025-03-10, open 2025-05-01             open 2025-06-30
 * C2 (P2)  A    active     2024-06-01 – 2026-06-01 VK            –              done 2025-04-01, done 2026-02-01            done 2025-05-01
 * C3 (P3)  A    completed  2024-01-01 – 2025-03-31 LK            basedOn        done 2025-02-01, open 2025-03-15            open 2026-03-01
 * C4 (P1)  B    active     2025-09-01 –           LK            –              done 2025-10-01, open 2026-01-20            open 2025-12-01
 * C5 (P4)  B    active     2024-01-01 – 2024-12-31 VK + LK       –              done 2025-02-01, open 2025-02-01            open 2025-03-01
 * C6 (P5)  B    draft      2025-01-01 –           VK + LK       –              done 2025-02-01, open 2025-02-01            open 2025-03-01
 * C7 (P6)  B    active     2025-06-01 –           VK            –              cancelled 2025-06-01, open 2026-03-01       open 2025-11-30
 *
 * born: P1 1950-03-01, P2 1961-06-15, P3 none (personnummer 19400101…), P4 1955-01-01, P5 1945-05-05,
 *       P6 1960-12-31 (65 on the last day of the period)
 * VK = fast vårdkontakt (code 1), LK = fast läkarkontakt i primärvård (code 2)
 * </pre>
 *
 * In force in 2025: C1, C2, C3 (ended inside the period) at A; C4, C7 at B. Not: C5 (ended in
 * 2024), C6 (draft). Patient P1 has contracts at both units. Patients in force: P1, P2, P3, P6.
 */
class MeasureEvaluationIT extends FhirIT {

    private static final String PERIOD = "periodStart=2025-01-01&periodEnd=2025-12-31";
    private static final List<String> MEASURES = List.of(
            "pk-antal-patientkontrakt",
            "pk-patientkontrakt-med-sip",
            "pk-fast-vardkontakt-andel",
            "pk-fast-lakarkontakt-andel",
            "pk-aldre-fast-lakar-och-vardkontakt",
            "pk-nasta-steg-i-tid",
            "pk-uppfoljning-forsenad");

    private static String unitA;
    private static String unitB;
    private static Map<String, MeasureReport> before;

    @BeforeEach
    void storeDataSetOnce() {
        if (unitA != null) {
            return;
        }
        Map<String, MeasureReport> reports = new HashMap<>();
        MEASURES.forEach(id -> reports.put(id, evaluate(id, PERIOD)));

        ContractFixture c1 = ContractFixture.create(fhirContext);
        String a = c1.unitId();
        String b = "Organization/vardcentralen-oskarshamn-" + c1.suffix();
        born(c1, "1950-03-01");
        period(c1, "2025-02-01", null);
        nextSteps(c1, "2025-03-10", CarePlanActivityStatus.COMPLETED, "2025-05-01", CarePlanActivityStatus.SCHEDULED);
        followUp(c1, "2025-06-30", CarePlanActivityStatus.SCHEDULED);
        sip(c1, false);

        ContractFixture c2 = ContractFixture.create(fhirContext).managedBy(a);
        born(c2, "1961-06-15");
        period(c2, "2024-06-01", "2026-06-01");
        withoutFixedContact(c2, "2");
        nextSteps(c2, "2025-04-01", CarePlanActivityStatus.COMPLETED, "2026-02-01", CarePlanActivityStatus.COMPLETED);
        followUp(c2, "2025-05-01", CarePlanActivityStatus.COMPLETED);

        ContractFixture c3 = ContractFixture.create(fhirContext).managedBy(a).status(CarePlan.CarePlanStatus.COMPLETED);
        c3.patient().getIdentifierFirstRep().setValue(personnummer("19400101"));
        period(c3, "2024-01-01", "2025-03-31");
        withoutFixedContact(c3, "1");
        nextSteps(c3, "2025-02-01", CarePlanActivityStatus.COMPLETED, "2025-03-15", CarePlanActivityStatus.SCHEDULED);
        followUp(c3, "2026-03-01", CarePlanActivityStatus.SCHEDULED);
        sip(c3, true);

        ContractFixture c4 = ContractFixture.create(fhirContext).managedBy(b);
        period(c4, "2025-09-01", null);
        withoutFixedContact(c4, "1");
        nextSteps(c4, "2025-10-01", CarePlanActivityStatus.COMPLETED, "2026-01-20", CarePlanActivityStatus.SCHEDULED);
        followUp(c4, "2025-12-01", CarePlanActivityStatus.SCHEDULED);
        samePatientAs(c4, c1);

        ContractFixture c5 = ContractFixture.create(fhirContext).managedBy(b);
        born(c5, "1955-01-01");
        period(c5, "2024-01-01", "2024-12-31");
        nextSteps(c5, "2025-02-01", CarePlanActivityStatus.COMPLETED, "2025-02-01", CarePlanActivityStatus.SCHEDULED);
        followUp(c5, "2025-03-01", CarePlanActivityStatus.SCHEDULED);

        ContractFixture c6 = ContractFixture.create(fhirContext).managedBy(b).status(CarePlan.CarePlanStatus.DRAFT);
        born(c6, "1945-05-05");
        period(c6, "2025-01-01", null);
        nextSteps(c6, "2025-02-01", CarePlanActivityStatus.COMPLETED, "2025-02-01", CarePlanActivityStatus.SCHEDULED);
        followUp(c6, "2025-03-01", CarePlanActivityStatus.SCHEDULED);

        ContractFixture c7 = ContractFixture.create(fhirContext).managedBy(b);
        born(c7, "1960-12-31");
        period(c7, "2025-06-01", null);
        withoutFixedContact(c7, "2");
        nextSteps(c7, "2025-06-01", CarePlanActivityStatus.CANCELLED, "2026-03-01", CarePlanActivityStatus.SCHEDULED);
        followUp(c7, "2025-11-30", CarePlanActivityStatus.SCHEDULED);

        for (ContractFixture contract : List.of(c1, c2, c3, c4, c5, c6, c7)) {
            fhir(contract.transaction()).when().post("/").then().statusCode(200);
        }
        before = reports;
        unitB = b;
        unitA = a;
    }

    @Test
    void numberOfContractsCountsThoseInForceIncludingOneEndedInsideThePeriod() {
        MeasureReport report = evaluate("pk-antal-patientkontrakt", PERIOD);

        // A: C1, C2, C3 (completed, ended 2025-03-31); B: C4, C7 (C5 ended in 2024, C6 is a draft).
        assertThat(stratum(report, unitA)).isEqualTo(new Counts(3, null, null, null));
        assertThat(stratum(report, unitB)).isEqualTo(new Counts(2, null, null, null));
        assertThat(regionDelta("pk-antal-patientkontrakt", report)).isEqualTo(new Delta(5, 0));
        assertThat(report.getGroupFirstRep().hasMeasureScore()).isFalse();
    }

    @Test
    void contractsLinkedToASipBySupportingInfoOrBasedOn() {
        MeasureReport report = evaluate("pk-patientkontrakt-med-sip", PERIOD);

        // A: C1 (supportingInfo) and C3 (basedOn) of 3 = 0.6667; B: none of C4, C7.
        assertThat(stratum(report, unitA)).isEqualTo(new Counts(3, 3, 2, "0.6667"));
        assertThat(stratum(report, unitB)).isEqualTo(new Counts(2, 2, 0, "0.0000"));
        assertThat(regionDelta("pk-patientkontrakt-med-sip", report)).isEqualTo(new Delta(5, 2));
    }

    @Test
    void shareOfPatientsWithFastVardkontaktCountsEachPatientOnceInTheRegion() {
        MeasureReport report = evaluate("pk-fast-vardkontakt-andel", PERIOD);

        // Patients: A = P1, P2, P3; B = P1, P6. Fast vårdkontakt: P1 (C1), P2, P6; not P3.
        // P1 counts in both units (and has one at A, which makes her count at B too), once in the region.
        assertThat(stratum(report, unitA)).isEqualTo(new Counts(3, 3, 2, "0.6667"));
        assertThat(stratum(report, unitB)).isEqualTo(new Counts(2, 2, 2, "1.0000"));
        assertThat(regionDelta("pk-fast-vardkontakt-andel", report)).isEqualTo(new Delta(4, 3));
    }

    @Test
    void shareOfPatientsWithFastLakarkontakt() {
        MeasureReport report = evaluate("pk-fast-lakarkontakt-andel", PERIOD);

        // Fast läkarkontakt: P1 (C1 and C4), P3; not P2, P6.
        assertThat(stratum(report, unitA)).isEqualTo(new Counts(3, 3, 2, "0.6667"));
        assertThat(stratum(report, unitB)).isEqualTo(new Counts(2, 2, 1, "0.5000"));
        assertThat(regionDelta("pk-fast-lakarkontakt-andel", report)).isEqualTo(new Delta(4, 2));
    }

    @Test
    void shareOfTheElderlyWithBothFixedContacts() {
        MeasureReport report = evaluate("pk-aldre-fast-lakar-och-vardkontakt", PERIOD);

        // 65 or over on 2025-12-31 (born on or before 1960-12-31): P1 (1950), P3 (personnummer
        // 1940, no birthDate), P6 (born 1960-12-31, 65 that day); not P2 (1961). Both contacts: P1 only.
        assertThat(stratum(report, unitA)).isEqualTo(new Counts(2, 2, 1, "0.5000"));
        assertThat(stratum(report, unitB)).isEqualTo(new Counts(2, 2, 1, "0.5000"));
        assertThat(regionDelta("pk-aldre-fast-lakar-och-vardkontakt", report)).isEqualTo(new Delta(3, 1));
    }

    @Test
    void theAgeIsAParameter() {
        MeasureReport report = evaluate("pk-aldre-fast-lakar-och-vardkontakt", PERIOD + "&minimumAge=70");

        // 70 or over (born on or before 1955-12-31): P1, P3; P6 drops out, so B holds P1 alone.
        assertThat(stratum(report, unitA)).isEqualTo(new Counts(2, 2, 1, "0.5000"));
        assertThat(stratum(report, unitB)).isEqualTo(new Counts(1, 1, 1, "1.0000"));
    }

    @Test
    void nextStepsDeliveredVersusOverdue() {
        MeasureReport report = evaluate("pk-nasta-steg-i-tid", PERIOD);

        // Promised in 2025: C1 done 03-10, open 05-01 (overdue); C2 done 04-01 (its 2026 one is
        // outside); C3 done 02-01, open 03-15 (overdue); C4 done 10-01 (its 2026 one is outside);
        // C7's step in 2025 was cancelled. A: 5 promises, 3 kept; B: 1, kept.
        assertThat(stratum(report, unitA)).isEqualTo(new Counts(5, 5, 3, "0.6000"));
        assertThat(stratum(report, unitB)).isEqualTo(new Counts(1, 1, 1, "1.0000"));
        assertThat(regionDelta("pk-nasta-steg-i-tid", report)).isEqualTo(new Delta(6, 4));
    }

    @Test
    void contractsWhoseFollowUpDatePassedWithoutAReview() {
        MeasureReport report = evaluate("pk-uppfoljning-forsenad", PERIOD);

        // Open and dated on or before 2025-12-31: C1 (06-30), C4 (12-01), C7 (11-30). C2's was
        // done; C3's is dated 2026-03-01, after the period.
        assertThat(stratum(report, unitA)).isEqualTo(new Counts(3, 3, 1, "0.3333"));
        assertThat(stratum(report, unitB)).isEqualTo(new Counts(2, 2, 2, "1.0000"));
        assertThat(regionDelta("pk-uppfoljning-forsenad", report)).isEqualTo(new Delta(5, 3));
    }

    @Test
    void aPeriodWithoutContractsGivesZeroAndNoScore() {
        MeasureReport report = evaluate("pk-fast-vardkontakt-andel", "periodStart=1900-01-01&periodEnd=1900-12-31");

        MeasureReportGroupComponent region = report.getGroupFirstRep();
        assertThat(counts(region.getPopulation().stream()
                        .map(p -> Map.entry(p.getCode(), p.getCount()))
                        .toList()))
                .isEqualTo(new Counts(0, 0, 0, null));
        assertThat(region.hasMeasureScore()).isFalse();
        assertThat(region.getStratifierFirstRep().getStratum()).isEmpty();
    }

    /**
     * Periods in the first years a FHIR date can name: the births a minimum age asks for lie
     * before year 1, where nobody is born (they failed with 500), and the last day there is.
     */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "pk-aldre-fast-lakar-och-vardkontakt",
                "pk-antal-patientkontrakt",
                "pk-nasta-steg-i-tid",
                "pk-uppfoljning-forsenad"
            })
    void periodsAtTheEndsOfTheCalendarAreCounted(String measure) {
        for (String period :
                List.of("periodStart=0001&periodEnd=0001", "periodStart=0000-01-01&periodEnd=0064-12-31")) {
            MeasureReport report = evaluate(measure, period);

            assertThat(report.getGroupFirstRep().getPopulationFirstRep().getCount())
                    .as("%s %s", measure, period)
                    .isZero();
        }
        assertThat(evaluate(measure, "periodStart=9999-12-31&periodEnd=9999-12-31")
                        .getPeriod()
                        .getEndElement()
                        .getValueAsString())
                .isEqualTo("9999-12-31");
    }

    @Test
    void theReportIsAStandardSummaryMeasureReport() {
        MeasureReport report = evaluate("pk-fast-lakarkontakt-andel", "periodStart=2025&periodEnd=2025");

        assertThat(report.getType()).isEqualTo(MeasureReport.MeasureReportType.SUMMARY);
        assertThat(report.getStatus()).isEqualTo(MeasureReport.MeasureReportStatus.COMPLETE);
        assertThat(report.getMeasure())
                .isEqualTo("https://patientkontrakt.se/fhir/Measure/pk-fast-lakarkontakt-andel|0.1.0");
        assertThat(report.getPeriod().getStartElement().getValueAsString()).isEqualTo("2025-01-01");
        assertThat(report.getPeriod().getEndElement().getValueAsString()).isEqualTo("2025-12-31");
        StratifierGroupComponent a = stratumOf(report, unitA);
        assertThat(a.getValue().getCodingFirstRep().getSystem()).isEqualTo(SwedishIdentifiers.HSA_ID);
        assertThat(a.getValue().getCodingFirstRep().getDisplay()).isEqualTo("Ortopedkliniken, Oskarshamns sjukhus");
    }

    @ParameterizedTest
    @ValueSource(strings = {"_format=text/csv", "_format=csv"})
    void theSameReportAsCsv(String format) {
        Response response =
                fhir().when().get("/Measure/pk-fast-vardkontakt-andel/$evaluate-measure?" + PERIOD + "&" + format);

        response.then().statusCode(200).contentType(startsWith("text/csv"));
        assertCsv(response.asString());
    }

    @Test
    void csvByAcceptHeader() {
        Response response = RestAssured.given()
                .accept("text/csv")
                .when()
                .get("/Measure/pk-fast-vardkontakt-andel/$evaluate-measure?" + PERIOD);

        response.then().statusCode(200).contentType(startsWith("text/csv"));
        assertCsv(response.asString());
    }

    private void assertCsv(String csv) {
        List<String> lines = csv.lines().toList();
        assertThat(lines.get(0))
                .isEqualTo("measure,period_start,period_end,stratum,unit_hsa_id,unit_name,"
                        + "initial_population,denominator,numerator,score");
        assertThat(lines.get(1))
                .startsWith("https://patientkontrakt.se/fhir/Measure/pk-fast-vardkontakt-andel,2025-01-01,2025-12-31,"
                        + "region,,Hela regionen (whole region),");
        assertThat(lines)
                .anySatisfy(line -> assertThat(line)
                        .startsWith("https://patientkontrakt.se/fhir/Measure/pk-fast-vardkontakt-andel,2025-01-01,"
                                + "2025-12-31," + unitA + ",")
                        .contains(",\"Ortopedkliniken, Oskarshamns sjukhus\",")
                        .endsWith(",3,3,2,0.6667"))
                .anySatisfy(line -> assertThat(line)
                        .startsWith("https://patientkontrakt.se/fhir/Measure/"
                                + "pk-fast-vardkontakt-andel,2025-01-01,2025-12-31," + unitB + ",")
                        .endsWith(",2,2,2,1.0000"));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = ';',
            value = {
                "periodEnd=2025-12-31; periodStart is required",
                "periodStart=2025-01-01; periodEnd is required",
                "periodStart=2025-12-31&periodEnd=2025-01-01; is before periodStart",
                "periodStart=2025-13-01&periodEnd=2025-12-31; periodStart is not a valid date",
                "periodStart=last-year&periodEnd=2025-12-31; periodStart is not a date",
                "periodStart=2025-01-01&periodEnd=2025-12-31T10:00:00Z; periodEnd is not a date",
                "periodStart=2025&periodEnd=2025&reportType=subject-list; reportType 'subject-list' is not supported",
                "periodStart=2025&periodEnd=2025&minimumAge=old; minimumAge must be a whole number",
                "periodStart=2025&periodEnd=2025&minimumAge=-1; minimumAge must be a whole number"
            })
    void badParametersAre400WithAnOperationOutcome(String query, String message) {
        Response response =
                fhir().when().get("/Measure/pk-aldre-fast-lakar-och-vardkontakt/$evaluate-measure?" + query);

        response.then().statusCode(400);
        assertThat(diagnostics(response)).contains(message).doesNotContain("Exception");
    }

    @Test
    void theAgeParameterBelongsToTheAgeMeasureOnly() {
        Response response =
                fhir().when().get("/Measure/pk-antal-patientkontrakt/$evaluate-measure?" + PERIOD + "&minimumAge=70");

        response.then().statusCode(400);
        assertThat(diagnostics(response)).contains("minimumAge applies only to");
    }

    @Test
    void anUnknownMeasureIs400() {
        Response response = fhir().when().get("/Measure/pk-no-such-measure/$evaluate-measure?" + PERIOD);

        response.then().statusCode(400);
        assertThat(outcome(response).getIssueFirstRep().getDiagnostics())
                .contains("Measure/pk-no-such-measure is unknown", "Measure/pk-antal-patientkontrakt");
    }

    @Test
    void aMeasureThisServerCannotComputeIs400() {
        Measure foreign = new Measure();
        foreign.setUrl("https://example.se/fhir/Measure/antal-vardkontakter");
        foreign.setStatus(Enumerations.PublicationStatus.ACTIVE);
        foreign.setText(narrative("Antal vårdkontakter"));
        String id = create(foreign);

        Response response = fhir().when().get("/Measure/" + id + "/$evaluate-measure?" + PERIOD);

        response.then().statusCode(400);
        assertThat(diagnostics(response)).contains("is not one this server can compute", "pk-antal-patientkontrakt");
    }

    @Test
    void theMeasuresAndTheOperationArePublished() {
        for (String id : MEASURES) {
            Measure measure = read("/Measure/" + id, Measure.class);
            assertThat(measure.getGroupFirstRep().getPopulation()).isNotEmpty();
            assertThat(measure.getGroupFirstRep().getStratifierFirstRep().getDescription())
                    .contains("managingOrganization");
            assertThat(measure.getDescription()).isNotBlank();
        }
        OperationDefinition definition = read("/OperationDefinition/pk-evaluate-measure", OperationDefinition.class);
        assertThat(definition.getParameter())
                .extracting(OperationDefinition.OperationDefinitionParameterComponent::getName)
                .contains("periodStart", "periodEnd", "reportType", "minimumAge", "return");

        CapabilityStatement capabilities = read("/metadata", CapabilityStatement.class);
        assertThat(capabilities.getRestFirstRep().getResource().stream()
                        .filter(r -> r.getType().equals("Measure"))
                        .flatMap(r -> r.getOperation().stream()))
                .anySatisfy(operation -> {
                    assertThat(operation.getName()).isEqualTo("evaluate-measure");
                    assertThat(operation.getDefinition())
                            .isEqualTo("https://patientkontrakt.se/fhir/OperationDefinition/pk-evaluate-measure");
                });
    }

    // --- the data set

    private static void born(ContractFixture contract, String date) {
        contract.patient().setBirthDateElement(new DateType(date));
        contract.patient().getIdentifierFirstRep().setValue(personnummer(date.replace("-", "")));
    }

    /** A valid personnummer for a date of birth (YYYYMMDD), with a random serial number. */
    private static String personnummer(String birthDate) {
        String nineDigits = birthDate.substring(2)
                + String.format("%03d", ThreadLocalRandom.current().nextInt(1000));
        return birthDate.substring(0, 2) + nineDigits + SwedishIdentifiers.luhnCheckDigit(nineDigits);
    }

    private static void period(ContractFixture contract, String start, String end) {
        Period period = new Period().setStartElement(new DateTimeType(start));
        if (end != null) {
            period.setEndElement(new DateTimeType(end));
        }
        contract.contract().setPeriod(period);
    }

    private static void nextSteps(
            ContractFixture contract,
            String first,
            CarePlanActivityStatus firstStatus,
            String second,
            CarePlanActivityStatus secondStatus) {
        List<CarePlanActivityDetailComponent> steps = contract.nextSteps();
        promised(steps.get(0), first, firstStatus);
        promised(steps.get(1), second, secondStatus);
    }

    private static void followUp(ContractFixture contract, String date, CarePlanActivityStatus status) {
        CarePlanActivityDetailComponent followUp = contract.contract().getActivity().stream()
                .map(CarePlan.CarePlanActivityComponent::getDetail)
                .filter(d -> d.getCode().hasCoding(Vocabulary.ACTIVITY_KIND, "follow-up"))
                .findFirst()
                .orElseThrow();
        promised(followUp, date, status);
    }

    private static void promised(CarePlanActivityDetailComponent detail, String date, CarePlanActivityStatus status) {
        detail.setScheduled(new Period().setEndElement(new DateTimeType(date)));
        detail.setStatus(status);
    }

    private static void withoutFixedContact(ContractFixture contract, String code) {
        contract.team().getParticipant().remove(contract.participant(code));
    }

    /** Adds the patient's SIP to the transaction, referred to from the contract. */
    private static void sip(ContractFixture contract, boolean asBasedOn) {
        Reference reference = new Reference(contract.addSip());
        if (asBasedOn) {
            contract.contract().addBasedOn(reference);
        } else {
            contract.contract().addSupportingInfo(reference);
        }
    }

    private static Narrative narrative(String text) {
        Narrative narrative = new Narrative().setStatus(Narrative.NarrativeStatus.GENERATED);
        narrative.setDivAsString("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>" + text + "</p></div>");
        return narrative;
    }

    /** Makes the contract the second one of another fixture's patient (already stored before it). */
    private static void samePatientAs(ContractFixture contract, ContractFixture other) {
        Bundle.BundleEntryComponent patient = entry(contract, contract.patientId());
        patient.setResource(other.patient().copy());
        patient.getRequest().setUrl(other.patientId());
    }

    private static Bundle.BundleEntryComponent entry(ContractFixture contract, String url) {
        return contract.transaction().getEntry().stream()
                .filter(e -> e.getRequest().getUrl().equals(url))
                .findFirst()
                .orElseThrow();
    }

    // --- reading reports

    private MeasureReport evaluate(String measure, String query) {
        return read("/Measure/" + measure + "/$evaluate-measure?" + query, MeasureReport.class);
    }

    private record Counts(Integer initialPopulation, Integer denominator, Integer numerator, String score) {}

    private record Delta(int population, int numerator) {}

    private static StratifierGroupComponent stratumOf(MeasureReport report, String unit) {
        return report.getGroupFirstRep().getStratifierFirstRep().getStratum().stream()
                .filter(s -> unit.equals(s.getValue().getText()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no stratum for " + unit + " in "
                        + FhirContext.forR4Cached().newJsonParser().encodeResourceToString(report)));
    }

    private static Counts stratum(MeasureReport report, String unit) {
        StratifierGroupComponent stratum = stratumOf(report, unit);
        Counts counts = counts(stratum.getPopulation().stream()
                .map(p -> Map.entry(p.getCode(), p.getCount()))
                .toList());
        return new Counts(
                counts.initialPopulation(),
                counts.denominator(),
                counts.numerator(),
                stratum.hasMeasureScore() ? score(stratum.getMeasureScore().getValue()) : null);
    }

    private static Counts counts(List<Map.Entry<CodeableConcept, Integer>> populations) {
        Map<String, Integer> byCode = new HashMap<>();
        populations.forEach(p -> byCode.put(p.getKey().getCodingFirstRep().getCode(), p.getValue()));
        return new Counts(byCode.get("initial-population"), byCode.get("denominator"), byCode.get("numerator"), null);
    }

    private static String score(BigDecimal value) {
        return value.setScale(4).toPlainString();
    }

    /** How much the region's figures grew with this class's data set. */
    private static Delta regionDelta(String measure, MeasureReport after) {
        return new Delta(
                region(after, "initial-population") - region(before.get(measure), "initial-population"),
                region(after, "numerator") - region(before.get(measure), "numerator"));
    }

    private static int region(MeasureReport report, String code) {
        return report.getGroupFirstRep().getPopulation().stream()
                .filter(p -> p.getCode().getCodingFirstRep().getCode().equals(code))
                .mapToInt(MeasureReport.MeasureReportGroupPopulationComponent::getCount)
                .findFirst()
                .orElse(0);
    }
}
