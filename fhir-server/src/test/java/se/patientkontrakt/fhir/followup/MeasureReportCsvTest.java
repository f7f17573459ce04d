package se.patientkontrakt.fhir.followup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import java.math.BigDecimal;
import java.time.LocalDate;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.MeasureReport;
import org.hl7.fhir.r4.model.MeasureReport.MeasureReportGroupComponent;
import org.hl7.fhir.r4.model.MeasureReport.StratifierGroupComponent;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Quantity;
import org.junit.jupiter.api.Test;

/** The CSV rendering of a MeasureReport, and the reporting period's parsing, without a server. */
class MeasureReportCsvTest {

    @Test
    void oneRowForTheRegionThenOnePerUnitQuotedWhereNeeded() {
        MeasureReport report = new MeasureReport();
        report.setMeasure("https://patientkontrakt.se/fhir/Measure/pk-fast-vardkontakt-andel|0.1.0");
        report.setPeriod(new Period()
                .setStartElement(new DateTimeType("2026-01-01"))
                .setEndElement(new DateTimeType("2026-12-31")));
        MeasureReportGroupComponent group = report.addGroup();
        population(group.addPopulation().getCode(), "initial-population");
        group.getPopulation().get(0).setCount(4);
        group.setMeasureScore(new Quantity().setValue(new BigDecimal("0.7500")));
        StratifierGroupComponent unit = group.addStratifier().addStratum();
        unit.setValue(new CodeableConcept()
                .setText("Organization/a")
                .addCoding(new Coding("urn:oid:1.2.752.29.4.19", "SE1", "=Ortopeden, \"Oskarshamn\"")));
        population(unit.addPopulation().getCode(), "initial-population");
        unit.getPopulation().get(0).setCount(3);

        String csv = MeasureReportCsvInterceptor.csv(report);

        assertThat(csv.split("\r\n"))
                .containsExactly(
                        "measure,period_start,period_end,stratum,unit_hsa_id,unit_name,"
                                + "initial_population,denominator,numerator,score",
                        "https://patientkontrakt.se/fhir/Measure/pk-fast-vardkontakt-andel,2026-01-01,2026-12-31,"
                                + "region,,Hela regionen (whole region),4,,,0.7500",
                        "https://patientkontrakt.se/fhir/Measure/pk-fast-vardkontakt-andel,2026-01-01,2026-12-31,"
                                + "Organization/a,SE1,\"'=Ortopeden, \"\"Oskarshamn\"\"\",3,,,");
    }

    @Test
    void aPeriodOfAYearOrAMonthCoversAllOfIt() {
        assertThat(ReportPeriod.parse("2024", "2024"))
                .isEqualTo(new ReportPeriod(LocalDate.of(2024, 1, 1), LocalDate.of(2024, 12, 31)));
        assertThat(ReportPeriod.parse("2024-02", "2024-02"))
                .isEqualTo(new ReportPeriod(LocalDate.of(2024, 2, 1), LocalDate.of(2024, 2, 29)));
        assertThat(ReportPeriod.parse("2024-02-10", "2024-02-10").end()).isEqualTo(LocalDate.of(2024, 2, 10));
    }

    @Test
    void aReversedOrMissingPeriodIsRefused() {
        assertThat(assertThrows(InvalidRequestException.class, () -> ReportPeriod.parse("2025-02", "2025-01"))
                        .getMessage())
                .contains("before periodStart");
        assertThat(assertThrows(InvalidRequestException.class, () -> ReportPeriod.parse(null, "2025"))
                        .getMessage())
                .contains("periodStart is required");
    }

    private static void population(CodeableConcept code, String value) {
        code.addCoding(new Coding(EvaluateMeasureOperation.MEASURE_POPULATION, value, null));
    }
}
