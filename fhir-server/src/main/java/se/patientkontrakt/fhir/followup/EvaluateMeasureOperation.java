package se.patientkontrakt.fhir.followup;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.param.TokenOrListParam;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Measure;
import org.hl7.fhir.r4.model.MeasureReport;
import org.hl7.fhir.r4.model.MeasureReport.MeasureReportGroupComponent;
import org.hl7.fhir.r4.model.MeasureReport.MeasureReportGroupStratifierComponent;
import org.hl7.fhir.r4.model.MeasureReport.StratifierGroupComponent;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.StringType;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.SwedishIdentifiers;
import se.patientkontrakt.fhir.contract.Vocabulary;
import se.patientkontrakt.fhir.hapi.FollowUpMeasure;
import se.patientkontrakt.fhir.hapi.FollowUpMeasure.Scoring;
import se.patientkontrakt.fhir.hapi.MeasureCalculator;
import se.patientkontrakt.fhir.hapi.MeasureCalculator.Count;
import se.patientkontrakt.fhir.hapi.MeasureCalculator.MeasureCounts;
import se.patientkontrakt.fhir.hapi.MeasureCalculator.UnitCount;
import se.patientkontrakt.fhir.hapi.PopulationMeasure;
import se.patientkontrakt.fhir.security.AccessToken;
import se.patientkontrakt.fhir.security.Commission;
import se.patientkontrakt.fhir.server.RestProvider;

/**
 * {@code GET /fhir/Measure/{id}/$evaluate-measure?periodStart=…&periodEnd=…}: FHIR's
 * <a href="https://hl7.org/fhir/R4/measure-operation-evaluate-measure.html">$evaluate-measure</a>
 * for the follow-up measures (uppföljning) shipped in {@code profiles/}, as a {@code summary}
 * MeasureReport: the whole region (for a care token, its care giver's contracts only, named as
 * the report's {@code reporter}) in the group's populations, and one stratum per care unit
 * (the organization responsible for the contract). Computed by {@link MeasureCalculator} in the
 * database; no CQL engine is involved, so a Measure that is not one of ours cannot be evaluated.
 *
 * <p>The population measures ({@link PopulationMeasure}: a target group's members, the listed
 * population) are answered by {@link PopulationReports}, for region-wide clients only, with the
 * parameters {@code subject} and {@code targetGroup} naming the group.
 *
 * <p>A bad request is 400: an unknown Measure id (a bad parameter of the report, rather than a
 * read of a missing resource), a missing, malformed or reversed period, a report type other than
 * {@code summary}, or a Measure this server cannot compute. Each answer carries an
 * OperationOutcome saying which parameter is wrong.
 */
@Component
class EvaluateMeasureOperation implements RestProvider {

    static final int DEFAULT_MINIMUM_AGE = 65;
    /** Below the server's largest page, so one search answers each batch whole. */
    private static final int UNITS_PER_SEARCH = 100;

    static final String MEASURE_POPULATION = "http://terminology.hl7.org/CodeSystem/measure-population";

    /** Today's date for "has passed" is the date in Sweden. */
    private final DaoRegistry daoRegistry;

    private final MeasureCalculator calculator;
    private final PopulationReports populationReports;

    EvaluateMeasureOperation(
            DaoRegistry daoRegistry, MeasureCalculator calculator, PopulationReports populationReports) {
        this.daoRegistry = daoRegistry;
        this.calculator = calculator;
        this.populationReports = populationReports;
    }

    @Operation(name = "$evaluate-measure", typeName = "Measure", idempotent = true)
    public MeasureReport evaluate(
            @IdParam IdType id,
            @OperationParam(name = "periodStart", max = 1) StringType periodStart,
            @OperationParam(name = "periodEnd", max = 1) StringType periodEnd,
            @OperationParam(name = "reportType", max = 1) StringType reportType,
            @OperationParam(name = "minimumAge", max = 1) StringType minimumAge,
            @OperationParam(name = "subject", max = 1) StringType subject,
            @OperationParam(name = "targetGroup", max = 1) StringType targetGroup,
            RequestDetails request) {
        Measure measure;
        try {
            measure = daoRegistry.getResourceDao(Measure.class).read(id.toUnqualifiedVersionless(), request);
        } catch (ResourceNotFoundException | ResourceGoneException e) {
            throw new InvalidRequestException(
                    "Measure/" + id.getIdPart() + " is unknown here; the computable measures are " + computable());
        }
        Optional<PopulationMeasure> population = PopulationMeasure.byUrl(measure.getUrl());
        if (population.isPresent()) {
            // Who may ask comes first: the answer to anyone else says nothing of the groups.
            PopulationReports.checkAccess(population.get(), request);
            if (minimumAge != null) {
                throw new InvalidRequestException("Parameter minimumAge applies only to Measure/"
                        + FollowUpMeasure.ALDRE_FAST_LAKARKONTAKT_OCH_VARDKONTAKT.id() + ", not to Measure/"
                        + population.get().id());
            }
            return populationReports.evaluate(
                    measure,
                    population.get(),
                    period(periodStart, periodEnd, reportType),
                    value(subject),
                    value(targetGroup),
                    request);
        }
        FollowUpMeasure computed = FollowUpMeasure.byUrl(measure.getUrl())
                .orElseThrow(() -> new InvalidRequestException("Measure/" + id.getIdPart()
                        + " is not one this server can compute; the computable measures are " + computable()));
        ReportPeriod period = period(periodStart, periodEnd, reportType);
        if (subject != null || targetGroup != null) {
            throw new InvalidRequestException("Parameters subject and targetGroup apply only to the population"
                    + " measures (Measure/pk-malgrupp-*, pk-sabo-med-fast-lakarkontakt), not to Measure/"
                    + computed.id());
        }
        int age = minimumAge(computed, value(minimumAge));

        Optional<String> careGiver = careGiverOf(request);
        MeasureCounts counts = calculator.calculate(
                computed, period.start(), period.end(), age, LocalDate.now(Vocabulary.SWEDEN), careGiver);
        MeasureReport report = report(measure, computed, period, counts, request);
        // Whose contracts were counted: the care giver, by HSA-id; none for the whole region.
        careGiver.ifPresent(hsaId -> report.setReporter(new Reference()
                .setIdentifier(
                        new Identifier().setSystem(SwedishIdentifiers.HSA_ID).setValue(hsaId))
                .setDisplay("Patientkontrakt som vårdgivaren äger (contracts owned by the care giver " + hsaId + ")")));
        return report;
    }

    private static ReportPeriod period(StringType periodStart, StringType periodEnd, StringType reportType) {
        ReportPeriod period = ReportPeriod.parse(value(periodStart), value(periodEnd));
        if (reportType != null && !"summary".equals(reportType.getValue())) {
            throw new InvalidRequestException("Parameter reportType '" + reportType.getValue()
                    + "' is not supported: this server gives 'summary' reports only");
        }
        return period;
    }

    /**
     * Whose contracts a report counts (Patientdatalagen): a care token's, those its care giver owns;
     * a region-wide client's (named in {@code patientkontrakt.pdl.region-wide-clients}), and a
     * server without access control, every contract in the region.
     */
    private static Optional<String> careGiverOf(RequestDetails request) {
        return AccessToken.of(request)
                .filter(token -> !token.regionWide())
                .flatMap(AccessToken::commission)
                .map(Commission::careGiver);
    }

    private static String computable() {
        return Stream.concat(
                        Arrays.stream(FollowUpMeasure.values()).map(FollowUpMeasure::id),
                        Arrays.stream(PopulationMeasure.values()).map(PopulationMeasure::id))
                .map(id -> "Measure/" + id)
                .collect(Collectors.joining(", "));
    }

    static String value(StringType parameter) {
        return parameter == null ? null : parameter.getValue();
    }

    private static int minimumAge(FollowUpMeasure measure, String value) {
        if (value == null) {
            return DEFAULT_MINIMUM_AGE;
        }
        if (!measure.takesMinimumAge()) {
            throw new InvalidRequestException("Parameter minimumAge applies only to Measure/"
                    + FollowUpMeasure.ALDRE_FAST_LAKARKONTAKT_OCH_VARDKONTAKT.id() + ", not to Measure/"
                    + measure.id());
        }
        try {
            int age = Integer.parseInt(value.trim());
            if (age < 0 || age > 130) {
                throw new NumberFormatException();
            }
            return age;
        } catch (NumberFormatException e) {
            throw new InvalidRequestException(
                    "Parameter minimumAge must be a whole number of years from 0 to 130: '" + value + "'");
        }
    }

    /** A complete summary report of the measure over the period, made now, before its groups. */
    static MeasureReport summaryOf(Measure measure, ReportPeriod period) {
        MeasureReport report = new MeasureReport();
        report.setStatus(MeasureReport.MeasureReportStatus.COMPLETE);
        report.setType(MeasureReport.MeasureReportType.SUMMARY);
        report.setMeasure(measure.getUrl() + (measure.hasVersion() ? "|" + measure.getVersion() : ""));
        report.setDate(new Date());
        report.setPeriod(new Period()
                .setStartElement(new DateTimeType(period.start().toString()))
                .setEndElement(new DateTimeType(period.end().toString())));
        if (measure.hasImprovementNotation()) {
            report.setImprovementNotation(measure.getImprovementNotation());
        }
        return report;
    }

    private MeasureReport report(
            Measure measure,
            FollowUpMeasure computed,
            ReportPeriod period,
            MeasureCounts counts,
            RequestDetails request) {
        MeasureReport report = summaryOf(measure, period);
        MeasureReportGroupComponent group = report.addGroup();
        Measure.MeasureGroupComponent definition = measure.getGroupFirstRep();
        if (definition.hasCode()) {
            group.setCode(definition.getCode());
        }
        populations(computed.scoring(), counts.region())
                .forEach((code, count) ->
                        group.addPopulation().setCode(populationCode(code)).setCount(count));
        score(computed.scoring(), counts.region()).ifPresent(group::setMeasureScore);

        MeasureReportGroupStratifierComponent stratifier = group.addStratifier();
        stratifier.addCode(definition.getStratifierFirstRep().getCode());
        Map<String, Organization> units = organizations(counts, request);
        for (UnitCount unit : counts.units()) {
            StratifierGroupComponent stratum = stratifier.addStratum();
            stratum.setValue(unitValue(unit.unitId(), units.get(unit.unitId())));
            populations(computed.scoring(), unit.count()).forEach((code, count) -> stratum.addPopulation()
                    .setCode(populationCode(code))
                    .setCount(count));
            score(computed.scoring(), unit.count()).ifPresent(stratum::setMeasureScore);
        }
        return report;
    }

    static Map<String, Integer> populations(Scoring scoring, Count count) {
        int population = Math.toIntExact(count.population());
        if (scoring == Scoring.COHORT) {
            return Map.of("initial-population", population);
        }
        Map<String, Integer> populations = new LinkedHashMap<>();
        populations.put("initial-population", population);
        populations.put("denominator", population);
        populations.put("numerator", Math.toIntExact(count.numerator()));
        return populations;
    }

    /** Numerator over denominator, to four decimals; none for a cohort or an empty denominator. */
    static Optional<Quantity> score(Scoring scoring, Count count) {
        if (scoring == Scoring.COHORT || count.population() == 0) {
            return Optional.empty();
        }
        BigDecimal share = BigDecimal.valueOf(count.numerator())
                .divide(BigDecimal.valueOf(count.population()), 4, RoundingMode.HALF_UP);
        return Optional.of(new Quantity().setValue(share));
    }

    static CodeableConcept populationCode(String code) {
        return new CodeableConcept(new Coding(MEASURE_POPULATION, code, null));
    }

    /** The unit as stratum value: its reference as text, and its HSA-id and name when it has them. */
    static CodeableConcept unitValue(String unitId, Organization organization) {
        CodeableConcept value = new CodeableConcept().setText("Organization/" + unitId);
        if (organization != null) {
            String hsaId = organization.getIdentifier().stream()
                    .filter(i -> SwedishIdentifiers.HSA_ID.equals(i.getSystem()))
                    .map(Identifier::getValue)
                    .findFirst()
                    .orElse(null);
            if (hsaId != null || organization.hasName()) {
                value.addCoding()
                        .setSystem(hsaId == null ? null : SwedishIdentifiers.HSA_ID)
                        .setCode(hsaId)
                        .setDisplay(organization.getName());
            }
        }
        return value;
    }

    /** The stratum units, read in searches by id to give their names and HSA-ids. */
    private Map<String, Organization> organizations(MeasureCounts counts, RequestDetails request) {
        return organizations(
                daoRegistry, counts.units().stream().map(UnitCount::unitId).toList(), request);
    }

    static Map<String, Organization> organizations(DaoRegistry daoRegistry, List<String> ids, RequestDetails request) {
        Map<String, Organization> organizations = new HashMap<>();
        for (int from = 0; from < ids.size(); from += UNITS_PER_SEARCH) {
            List<String> batch = ids.subList(from, Math.min(ids.size(), from + UNITS_PER_SEARCH));
            TokenOrListParam byId = new TokenOrListParam();
            batch.forEach(byId::add);
            SearchParameterMap search = SearchParameterMap.newSynchronous().add("_id", byId);
            search.setLoadSynchronousUpTo(batch.size());
            daoRegistry
                    .getResourceDao(Organization.class)
                    .search(search, request)
                    .getResources(0, batch.size())
                    .stream()
                    .map(Organization.class::cast)
                    .forEach(o -> organizations.put(o.getIdElement().getIdPart(), o));
        }
        return organizations;
    }
}
