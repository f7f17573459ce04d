package se.patientkontrakt.fhir.followup;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CodeSystem;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Enumerations.AdministrativeGender;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Measure;
import org.hl7.fhir.r4.model.MeasureReport;
import org.hl7.fhir.r4.model.MeasureReport.MeasureReportGroupComponent;
import org.hl7.fhir.r4.model.MeasureReport.MeasureReportGroupStratifierComponent;
import org.hl7.fhir.r4.model.MeasureReport.StratifierGroupComponent;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Reference;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.ConformanceResources;
import se.patientkontrakt.fhir.contract.Vocabulary;
import se.patientkontrakt.fhir.hapi.FollowUpMeasure.Scoring;
import se.patientkontrakt.fhir.hapi.PopulationCalculator;
import se.patientkontrakt.fhir.hapi.PopulationCalculator.Row;
import se.patientkontrakt.fhir.hapi.PopulationMeasure;
import se.patientkontrakt.fhir.hapi.PopulationMeasure.Population;
import se.patientkontrakt.fhir.security.AccessToken;

/**
 * The population measures ({@link PopulationMeasure}) of {@code $evaluate-measure}: who may ask,
 * which target group a report is about, and the {@code summary} MeasureReport.
 *
 * <p><b>Who.</b> A target group lists many patients of every care giver, and these reports count
 * them across the region; so, as for reading the Group itself, only a region-wide client (named in
 * {@code patientkontrakt.pdl.region-wide-clients}) whose scopes let it read Groups may evaluate
 * them, and every other token gets 403 before any group is looked up (the same answer whether the
 * group exists or not). A server without access control answers everyone, as for the other
 * measures.
 *
 * <p><b>Which group.</b> {@code subject=Group/{id}} names it, or {@code targetGroup={code}} its kind
 * ({@code pk-malgrupp-typ}) when the region holds one group of that kind; the SÄBO measure takes
 * the group of kind {@code sabo} by default. A group that is not stored, or holds no {@code
 * pk-population-loaded}, was never loaded: 422 with an OperationOutcome saying so, never a report of 0.
 * A group the region has retired ({@code Group.active = false}) is not counted either: named, it is
 * 422; by kind, only groups in use are considered; the contracts-per-group stratifier leaves it out.
 *
 * <p><b>When loaded.</b> Each group a report counts is named in {@code MeasureReport.evaluatedResource}
 * ({@code Group/{id}}, the version counted in its display: HAPI writes references without
 * versions), with the extension {@code pk-population-loaded} carrying the time the
 * population was loaded, copied from the Group.
 */
@Component
class PopulationReports {

    private static final int MAX_GROUPS = 100;
    private static final Pattern GROUP_REFERENCE = Pattern.compile("Group/([A-Za-z0-9\\-.]{1,64})");

    private final DaoRegistry daoRegistry;
    private final PopulationCalculator calculator;
    private final Set<String> kinds;

    PopulationReports(DaoRegistry daoRegistry, PopulationCalculator calculator, ConformanceResources conformance) {
        this.daoRegistry = daoRegistry;
        this.calculator = calculator;
        this.kinds = conformance.codeSystems().stream()
                .filter(cs -> Vocabulary.MALGRUPP_TYP.equals(cs.getUrl()))
                .flatMap(cs -> cs.getConcept().stream())
                .map(CodeSystem.ConceptDefinitionComponent::getCode)
                .collect(Collectors.toUnmodifiableSet());
    }

    /** Region-wide clients that may read Groups, or anyone on a server without access control. */
    static void checkAccess(PopulationMeasure measure, RequestDetails request) {
        Optional<AccessToken> token = AccessToken.of(request);
        if (token.isPresent() && !(token.get().regionWide() && token.get().mayRead("Group"))) {
            throw new ForbiddenOperationException("Measure/" + measure.id()
                    + " counts a region's population across care givers: only the region-wide clients"
                    + " (patientkontrakt.pdl.region-wide-clients) with a scope to read Group evaluate it");
        }
    }

    MeasureReport evaluate(
            Measure measure,
            PopulationMeasure computed,
            ReportPeriod period,
            String subject,
            String targetGroup,
            RequestDetails request) {
        List<Group> groups = groups(computed, subject, targetGroup);
        Long groupId = null;
        if (computed.population() == Population.TARGET_GROUP || computed.population() == Population.SABO) {
            groupId = calculator.groupResourceId(groups.get(0).getIdElement().getIdPart());
            if (groupId == null) { // deleted since it was read
                throw neverLoaded(
                        groups.get(0).getIdElement().toUnqualifiedVersionless().getValue());
            }
        }
        List<Row> rows =
                calculator.calculate(computed, groupId, period.start(), period.end(), LocalDate.now(Vocabulary.SWEDEN));
        return report(measure, computed, period, rows, groups, request);
    }

    /** The groups a report counts: the one it is about, or for the contracts every group loaded. */
    private List<Group> groups(PopulationMeasure measure, String subject, String targetGroup) {
        if (measure.population() == Population.LISTED || measure.population() == Population.CONTRACTS) {
            if (subject != null || targetGroup != null) {
                throw new InvalidRequestException(
                        "Measure/" + measure.id() + " takes no subject or targetGroup: it counts "
                                + (measure.population() == Population.LISTED
                                        ? "every listed patient"
                                        : "every contract, against every target group loaded"));
            }
            return measure.population() == Population.CONTRACTS ? loadedGroups() : List.of();
        }
        if (subject != null && targetGroup != null) {
            throw new InvalidRequestException("Give subject (Group/{id}) or targetGroup (a kind), not both");
        }
        if (subject == null && targetGroup == null) {
            if (measure.population() != Population.SABO) {
                throw new InvalidRequestException("Measure/" + measure.id()
                        + " counts the members of a target group: name it with subject=Group/{id} or targetGroup={kind} ("
                        + String.join(", ", kinds.stream().sorted().toList()) + ")");
            }
            targetGroup = PopulationMeasure.SABO_KIND;
        }
        Group group = subject != null ? byReference(subject) : byKind(targetGroup);
        if (!group.hasExtension(Vocabulary.POPULATION_LOADED)) {
            throw neverLoaded(group.getIdElement().toUnqualifiedVersionless().getValue());
        }
        if (measure.population() == Population.SABO
                && !group.getCode().hasCoding(Vocabulary.MALGRUPP_TYP, PopulationMeasure.SABO_KIND)) {
            throw new InvalidRequestException("Measure/" + measure.id() + " counts the residents of SÄBO: Group/"
                    + group.getIdElement().getIdPart() + " is not of kind " + PopulationMeasure.SABO_KIND);
        }
        return List.of(group);
    }

    private Group byReference(String subject) {
        var matcher = GROUP_REFERENCE.matcher(subject.trim());
        if (!matcher.matches()) {
            throw new InvalidRequestException(
                    "Parameter subject must name a target group as Group/{id}: '" + subject + "'");
        }
        Group group;
        try {
            group = daoRegistry
                    .getResourceDao(Group.class)
                    .read(new IdType("Group", matcher.group(1)), new SystemRequestDetails());
        } catch (ResourceNotFoundException | ResourceGoneException e) {
            throw neverLoaded("Group/" + matcher.group(1));
        }
        if (!inUse(group)) {
            throw new UnprocessableEntityException("Group/" + matcher.group(1)
                    + " is no longer in use (Group.active = false): its population is not kept up to date, so the"
                    + " measure does not count it");
        }
        return group;
    }

    /**
     * A Group the region keeps up to date: not marked {@code active = false} ("merely retained for
     * historical purposes", as FHIR puts it). Measures count only those.
     */
    private static boolean inUse(Group group) {
        return !group.hasActive() || group.getActive();
    }

    private Group byKind(String kind) {
        String code = kind.trim();
        if (!kinds.contains(code)) {
            throw new InvalidRequestException("Parameter targetGroup '" + kind + "' is not a kind of target group ("
                    + Vocabulary.MALGRUPP_TYP + "): one of "
                    + String.join(", ", kinds.stream().sorted().toList()));
        }
        List<Group> stored =
                search(new SearchParameterMap().add("code", new TokenParam(Vocabulary.MALGRUPP_TYP, code)));
        if (stored.isEmpty()) {
            throw new UnprocessableEntityException("No target group of kind " + code
                    + " was ever loaded (no Group with code " + code + "): the measure cannot say anything of it");
        }
        List<Group> found = stored.stream().filter(PopulationReports::inUse).toList();
        if (found.isEmpty()) {
            throw new UnprocessableEntityException("No target group of kind " + code + " is in use: " + stored.size()
                    + " stored, each with Group.active = false, so the measure does not count them");
        }
        if (found.size() > 1) {
            throw new InvalidRequestException("Several target groups are of kind " + code + " ("
                    + found.stream()
                            .map(g ->
                                    g.getIdElement().toUnqualifiedVersionless().getValue())
                            .sorted()
                            .collect(Collectors.joining(", "))
                    + "): name one with subject=Group/{id}");
        }
        return found.get(0);
    }

    /** Every stored Group in use with the time its population was loaded. */
    private List<Group> loadedGroups() {
        return search(new SearchParameterMap()).stream()
                .filter(g -> g.hasExtension(Vocabulary.POPULATION_LOADED) && inUse(g))
                .sorted(Comparator.comparing(g -> g.getIdElement().getIdPart()))
                .toList();
    }

    private List<Group> search(SearchParameterMap map) {
        map.setLoadSynchronous(true);
        map.setLoadSynchronousUpTo(MAX_GROUPS);
        List<IBaseResource> found = daoRegistry
                .getResourceDao(Group.class)
                .search(map, new SystemRequestDetails())
                .getResources(0, MAX_GROUPS);
        return found.stream().map(Group.class::cast).toList();
    }

    private static UnprocessableEntityException neverLoaded(String group) {
        return new UnprocessableEntityException(group + " was never loaded (no such target group, or one without"
                + " pk-population-loaded): the measure cannot say anything of it");
    }

    private MeasureReport report(
            Measure measure,
            PopulationMeasure computed,
            ReportPeriod period,
            List<Row> rows,
            List<Group> groups,
            RequestDetails request) {
        MeasureReport report = EvaluateMeasureOperation.summaryOf(measure, period);
        for (Group group : groups) {
            Reference counted = report.addEvaluatedResource()
                    .setReference("Group/" + group.getIdElement().getIdPart())
                    .setDisplay(group.getName() + " (version "
                            + group.getIdElement().getVersionIdPart() + ")");
            Extension loaded = group.getExtensionByUrl(Vocabulary.POPULATION_LOADED);
            counted.addExtension(Vocabulary.POPULATION_LOADED, loaded.getValue().copy());
        }
        Scoring scoring = computed.scoring();
        MeasureReportGroupComponent group = report.addGroup();
        Measure.MeasureGroupComponent definition = measure.getGroupFirstRep();
        if (definition.hasCode()) {
            group.setCode(definition.getCode());
        }
        Row whole =
                rows.stream().filter(r -> r.stratifier() == null).findFirst().orElseThrow();
        EvaluateMeasureOperation.populations(scoring, whole.count()).forEach((code, n) -> group.addPopulation()
                .setCode(EvaluateMeasureOperation.populationCode(code))
                .setCount(n));
        EvaluateMeasureOperation.score(scoring, whole.count()).ifPresent(group::setMeasureScore);

        Map<String, MeasureReportGroupStratifierComponent> stratifiers = new LinkedHashMap<>();
        for (Measure.MeasureGroupStratifierComponent declared : definition.getStratifier()) {
            MeasureReportGroupStratifierComponent stratifier = group.addStratifier();
            stratifier.addCode(declared.getCode());
            stratifiers.put(declared.getCode().getText(), stratifier);
        }
        Map<String, Organization> units = EvaluateMeasureOperation.organizations(
                daoRegistry,
                rows.stream()
                        .filter(r -> PopulationCalculator.LISTING.equals(r.stratifier()) && r.stratum() != null)
                        .map(Row::stratum)
                        .toList(),
                request);
        Map<String, Group> groupsById =
                groups.stream().collect(Collectors.toMap(g -> g.getIdElement().getIdPart(), g -> g, (a, b) -> a));
        for (Row row : sorted(rows)) {
            MeasureReportGroupStratifierComponent stratifier = stratifiers.get(row.stratifier());
            if (stratifier == null) {
                continue;
            }
            CodeableConcept value = stratumValue(row, units, groupsById);
            if (value == null) {
                continue; // a group not loaded: not reported
            }
            StratifierGroupComponent stratum = stratifier.addStratum().setValue(value);
            EvaluateMeasureOperation.populations(scoring, row.count()).forEach((code, n) -> stratum.addPopulation()
                    .setCode(EvaluateMeasureOperation.populationCode(code))
                    .setCount(n));
            EvaluateMeasureOperation.score(scoring, row.count()).ifPresent(stratum::setMeasureScore);
        }
        return report;
    }

    /** Strata in a stable order: by stratifier as declared, then by stratum, "none recorded" last. */
    private static List<Row> sorted(List<Row> rows) {
        List<Row> strata = new ArrayList<>(
                rows.stream().filter(r -> r.stratifier() != null).toList());
        strata.sort(Comparator.comparing(Row::stratifier)
                .thenComparing(Row::stratum, Comparator.nullsLast(Comparator.naturalOrder())));
        return strata;
    }

    private static CodeableConcept stratumValue(Row row, Map<String, Organization> units, Map<String, Group> groups) {
        String stratum = row.stratum();
        return switch (row.stratifier()) {
            case PopulationCalculator.LISTING ->
                stratum == null
                        ? new CodeableConcept().setText("Ej listad (not listed)")
                        : EvaluateMeasureOperation.unitValue(stratum, units.get(stratum));
            case PopulationCalculator.AGE_BAND ->
                new CodeableConcept()
                        .setText(stratum == null ? "Födelsedatum saknas (no date of birth)" : stratum + " år");
            case PopulationCalculator.SEX -> sex(stratum);
            case PopulationCalculator.TARGET_GROUP -> {
                Group group = groups.get(stratum);
                if (group == null) {
                    yield null;
                }
                Coding kind = group.getCode().getCodingFirstRep();
                CodeableConcept value = new CodeableConcept().setText("Group/" + stratum);
                value.addCoding()
                        .setSystem(kind.getSystem())
                        .setCode(kind.getCode())
                        .setDisplay(group.getName());
                yield value;
            }
            default -> new CodeableConcept().setText(stratum);
        };
    }

    private static CodeableConcept sex(String code) {
        if (code == null) {
            return new CodeableConcept().setText("Kön saknas (no sex recorded)");
        }
        CodeableConcept value = new CodeableConcept().setText(code);
        try {
            AdministrativeGender gender = AdministrativeGender.fromCode(code);
            value.addCoding(new Coding(gender.getSystem(), gender.toCode(), gender.getDisplay()));
        } catch (org.hl7.fhir.exceptions.FHIRException e) {
            // An index value FHIR does not know: shown as text only.
        }
        return value;
    }
}
