package se.patientkontrakt.fhir.followup;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.MeasureReport;
import org.hl7.fhir.r4.model.MeasureReport.MeasureReportGroupComponent;
import org.hl7.fhir.r4.model.MeasureReport.StratifierGroupComponent;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.Vocabulary;
import se.patientkontrakt.fhir.hapi.PopulationCalculator;
import se.patientkontrakt.fhir.hapi.PopulationMeasure;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.RestInterceptor;

/**
 * A MeasureReport as CSV, for the spreadsheets in which regions keep their follow-up today:
 * asked for with {@code _format=text/csv} (or {@code _format=csv}) or an {@code Accept: text/csv}
 * header. Hooks {@link Pointcut#SERVER_OUTGOING_RESPONSE}, writes the response itself and stops
 * HAPI's own rendering; any other response, and every error (an OperationOutcome), is left to HAPI.
 *
 * <p>One row for the whole region, then one per care unit; columns as in {@link #HEADER}. A
 * population measure's report (the target groups, the listed population) has a row per stratum of
 * each stratifier and the columns of {@link #POPULATION_HEADER} after those.
 * RFC 4180: comma-separated, quoted where needed, UTF-8, a dot as decimal sign; a text that a
 * spreadsheet would run as a formula is prefixed with an apostrophe.
 */
@Component
@Interceptor
class MeasureReportCsvInterceptor implements RestInterceptor {

    static final String TEXT_CSV = "text/csv";

    private static final List<String> POPULATIONS = List.of("initial-population", "denominator", "numerator");
    static final List<String> HEADER = List.of(
            "measure",
            "period_start",
            "period_end",
            "stratum",
            "unit_hsa_id",
            "unit_name",
            "initial_population",
            "denominator",
            "numerator",
            "score");

    /**
     * Added for the population measures: which stratifier a row belongs to (listning, aldersgrupp,
     * kon, malgrupp; empty for the whole), the target group it counts and when that was loaded.
     */
    static final List<String> POPULATION_HEADER = List.of("stratifier", "target_group", "population_loaded");

    @Hook(value = Pointcut.SERVER_OUTGOING_RESPONSE, order = HookOrder.PRESENTATION + 50)
    boolean writeCsv(RequestDetails request, IBaseResource resource, HttpServletResponse response) throws IOException {
        if (!(resource instanceof MeasureReport report) || !wantsCsv(request)) {
            return true;
        }
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType(TEXT_CSV + "; charset=utf-8; header=present");
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        String file = report.getMeasure().replaceAll(".*/", "").replaceAll("\\|.*", "") + "_"
                + report.getPeriod().getStartElement().getValueAsString() + "_"
                + report.getPeriod().getEndElement().getValueAsString() + ".csv";
        response.setHeader("Content-Disposition", "inline; filename=\"" + file + "\"");
        Writer out = response.getWriter();
        out.write(csv(report));
        out.flush();
        return false;
    }

    static boolean wantsCsv(RequestDetails request) {
        String[] format = request.getParameters().get("_format");
        if (format != null && format.length > 0) {
            String asked = format[0].toLowerCase(Locale.ROOT);
            return asked.equals("csv") || asked.startsWith(TEXT_CSV);
        }
        List<String> accept = request.getHeaders("Accept");
        return accept != null
                && accept.stream()
                        .anyMatch(value -> value.toLowerCase(Locale.ROOT).contains(TEXT_CSV));
    }

    static String csv(MeasureReport report) {
        StringBuilder csv = new StringBuilder();
        boolean population = PopulationMeasure.byUrl(report.getMeasure().replaceAll("\\|.*", ""))
                .isPresent();
        List<String> header = new ArrayList<>(HEADER);
        if (population) {
            header.addAll(POPULATION_HEADER);
        }
        row(csv, header);
        String measure = report.getMeasure().replaceAll("\\|.*", "");
        String start = report.getPeriod().getStartElement().getValueAsString();
        String end = report.getPeriod().getEndElement().getValueAsString();
        // A measure over one target group names it on every row; one over all of them on its own strata.
        Reference onlyGroup = report.getEvaluatedResource().size() == 1 && !hasTargetGroupStrata(report)
                ? report.getEvaluatedResource().get(0)
                : null;
        for (MeasureReportGroupComponent group : report.getGroup()) {
            List<String> region =
                    new ArrayList<>(List.of(measure, start, end, "region", "", "Hela regionen (whole region)"));
            region.addAll(counts(group.getPopulation(), p -> p.getCode(), p -> p.getCount()));
            region.add(score(group.getMeasureScore()));
            if (population) {
                region.add("");
                region.addAll(groupColumns(onlyGroup));
            }
            row(csv, region);
            for (MeasureReport.MeasureReportGroupStratifierComponent stratifier : group.getStratifier()) {
                String stratifierCode = nullToEmpty(stratifier.getCodeFirstRep().getText());
                boolean units = !population || PopulationCalculator.LISTING.equals(stratifierCode);
                for (StratifierGroupComponent stratum : stratifier.getStratum()) {
                    Coding unit = units ? stratum.getValue().getCodingFirstRep() : new Coding();
                    List<String> unitRow = new ArrayList<>(List.of(
                            measure,
                            start,
                            end,
                            stratum.getValue().getText(),
                            nullToEmpty(unit.getCode()),
                            nullToEmpty(unit.getDisplay())));
                    unitRow.addAll(counts(stratum.getPopulation(), p -> p.getCode(), p -> p.getCount()));
                    unitRow.add(score(stratum.getMeasureScore()));
                    if (population) {
                        unitRow.add(stratifierCode);
                        unitRow.addAll(groupColumns(
                                PopulationCalculator.TARGET_GROUP.equals(stratifierCode)
                                        ? evaluated(report, stratum.getValue().getText())
                                        : onlyGroup));
                    }
                    row(csv, unitRow);
                }
            }
        }
        return csv.toString();
    }

    private static boolean hasTargetGroupStrata(MeasureReport report) {
        return report.getGroup().stream()
                .flatMap(g -> g.getStratifier().stream())
                .anyMatch(s -> PopulationCalculator.TARGET_GROUP.equals(
                        s.getCodeFirstRep().getText()));
    }

    /** The Group counted, by its reference {@code Group/{id}}, among the report's evaluated resources. */
    private static Reference evaluated(MeasureReport report, String group) {
        return report.getEvaluatedResource().stream()
                .filter(r -> group.equals(r.getReference()))
                .findFirst()
                .orElse(null);
    }

    /** The target group's reference and when its population was loaded; empty for none. */
    private static List<String> groupColumns(Reference group) {
        if (group == null) {
            return List.of("", "");
        }
        return List.of(
                nullToEmpty(group.getReference()),
                group.hasExtension(Vocabulary.POPULATION_LOADED)
                        ? nullToEmpty(group.getExtensionByUrl(Vocabulary.POPULATION_LOADED)
                                .getValue()
                                .primitiveValue())
                        : "");
    }

    /** The initial population, denominator and numerator counts, in that order ("" where absent). */
    private static <P> List<String> counts(
            List<P> populations, Function<P, CodeableConcept> code, ToIntFunction<P> count) {
        return POPULATIONS.stream()
                .map(wanted -> populations.stream()
                        .filter(p -> hasCode(code.apply(p), wanted))
                        .map(p -> Integer.toString(count.applyAsInt(p)))
                        .findFirst()
                        .orElse(""))
                .toList();
    }

    private static boolean hasCode(CodeableConcept concept, String code) {
        return concept.hasCoding(EvaluateMeasureOperation.MEASURE_POPULATION, code);
    }

    private static String score(Quantity score) {
        return score.hasValue() ? score.getValue().toPlainString() : "";
    }

    private static String nullToEmpty(String value) {
        return value == null ? "" : value;
    }

    private static void row(StringBuilder csv, List<String> cells) {
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) {
                csv.append(',');
            }
            csv.append(quoted(cells.get(i)));
        }
        csv.append("\r\n");
    }

    private static String quoted(String cell) {
        // A text a spreadsheet would take for a formula (a unit named "=..." or "@...") stays text.
        if (!cell.isEmpty() && "=+-@".indexOf(cell.charAt(0)) >= 0) {
            cell = "'" + cell;
        }
        if (cell.contains(",") || cell.contains("\"") || cell.contains("\n") || cell.contains("\r")) {
            return '"' + cell.replace("\"", "\"\"") + '"';
        }
        return cell;
    }
}
