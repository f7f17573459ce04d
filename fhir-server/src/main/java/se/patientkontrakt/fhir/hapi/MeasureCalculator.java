package se.patientkontrakt.fhir.hapi;

import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.entity.BaseResourceIndexedSearchParam;
import ca.uhn.fhir.jpa.model.entity.ResourceIndexedSearchParamToken;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.hl7.fhir.r4.model.SearchParameter;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.ConformanceResources;
import se.patientkontrakt.fhir.contract.SwedishIdentifiers;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * Computes a {@link FollowUpMeasure} in the database: one aggregate statement over HAPI's search
 * index tables (HFJ_RESOURCE, HFJ_RES_LINK, HFJ_SPIDX_TOKEN, HFJ_SPIDX_DATE) that counts the
 * whole region and each care unit, so no resource is read or parsed and the work stays in
 * indexed lookups however many contracts there are. The SQL is plain SQL:2003 and runs on H2 and
 * PostgreSQL alike.
 *
 * <p>Index rows are found by HAPI's hashes of resource type, parameter, system and value (the
 * columns HAPI's own indexes lead with), computed here exactly as HAPI computes them on write.
 * A contract's care unit is the managingOrganization of the contact team it names
 * (CarePlan.careTeam → CareTeam.managingOrganization).
 */
@Component
public class MeasureCalculator {

    /** Contract statuses that mean it was agreed and in force at some time (not draft or in error). */
    static final List<String> IN_FORCE_STATUSES = List.of("active", "on-hold", "completed", "revoked");

    /**
     * Patient contracts in force in the period, with their patient: category
     * {@code patientkontrakt}, a status from {@link #IN_FORCE_STATUSES}, and a CarePlan.period
     * that overlaps the period (no period, or an open end, counts as overlapping).
     *
     * <p>The status is one lookup per status, not {@code HASH_VALUE IN (...)}: H2 answers an IN
     * list on the first column of the (HASH_VALUE, RES_ID) index by reading every row with any of
     * the statuses, for each contract, which made a measure take 21 s at 10,000 contracts (1.6 s
     * this way) and grew with the square of their number.
     */
    private static final String CONTRACTS =
            """
            SELECT r.RES_ID AS contract_id, s.TARGET_RESOURCE_ID AS patient_id
            FROM HFJ_RESOURCE r
            JOIN HFJ_RES_LINK s ON s.SRC_RESOURCE_ID = r.RES_ID
                AND s.SRC_PATH = 'CarePlan.subject' AND s.TARGET_RESOURCE_TYPE = 'Patient'
            WHERE r.RES_TYPE = 'CarePlan' AND r.RES_DELETED_AT IS NULL
              AND %s
              {owned}"""
                    .formatted(planInForce(":category"));

    /**
     * The CarePlan {@code r} is of the category (a hash parameter), has a status from {@link
     * #IN_FORCE_STATUSES} and a CarePlan.period that overlaps the period (no period, or an open
     * end, counts as overlapping).
     */
    static String planInForce(String categoryParameter) {
        return """
                EXISTS (SELECT 1 FROM HFJ_SPIDX_TOKEN c
                              WHERE c.RES_ID = r.RES_ID AND c.HASH_SYS_AND_VALUE = %s)
                  AND (%s)
                  AND NOT EXISTS (SELECT 1 FROM HFJ_SPIDX_DATE pd
                                  WHERE pd.RES_ID = r.RES_ID AND pd.HASH_IDENTITY = :period
                                    AND (pd.SP_VALUE_LOW_DATE_ORDINAL > :periodEnd
                                         OR pd.SP_VALUE_HIGH_DATE_ORDINAL < :periodStart))"""
                .formatted(
                        categoryParameter,
                        IntStream.range(0, IN_FORCE_STATUSES.size())
                                .mapToObj(
                                        "EXISTS (SELECT 1 FROM HFJ_SPIDX_TOKEN st%1$d WHERE st%1$d.RES_ID = r.RES_ID AND st%1$d.HASH_VALUE = :status%1$d)"
                                                ::formatted)
                                .collect(Collectors.joining("\n                   OR ")));
    }

    /**
     * Only the contracts one care giver owns: its HSA-id as the contract's owner label
     * ({@link Vocabulary#OWNER_CARE_GIVER}, a security label: HAPI's tag type 2 in HFJ_TAG_DEF).
     */
    private static final String OWNED_BY =
            """
            AND EXISTS (SELECT 1 FROM HFJ_RES_TAG ot JOIN HFJ_TAG_DEF od ON od.TAG_ID = ot.TAG_ID
                          WHERE ot.RES_ID = r.RES_ID AND od.TAG_TYPE = 2
                            AND od.TAG_SYSTEM = :ownerSystem AND od.TAG_CODE = :careGiver)""";

    /** The care units of those contracts. */
    private static final String CONTRACT_UNITS =
            """
            SELECT DISTINCT k.contract_id, k.patient_id, o.TARGET_RESOURCE_ID AS unit_id
            FROM contracts k
            JOIN HFJ_RES_LINK t ON t.SRC_RESOURCE_ID = k.contract_id AND t.SRC_PATH = 'CarePlan.careTeam'
            JOIN HFJ_RES_LINK o ON o.SRC_RESOURCE_ID = t.TARGET_RESOURCE_ID
                AND o.SRC_PATH = 'CareTeam.managingOrganization'""";

    /**
     * One statement for the region (the row without a unit) and each care unit, so the database
     * finds the contracts once (PostgreSQL materialises a common table expression used twice).
     */
    private static final String REPORT =
            """
            /* %s */
            WITH contracts AS (%s),
            contract_units AS (%s),
            members AS (%s),
            member_units AS (%s)
            SELECT CAST(NULL AS VARCHAR(64)) AS unit, COUNT(*) AS population,
                   COALESCE(SUM(m.numerator), 0) AS numerator
            FROM members m
            UNION ALL
            SELECT o.FHIR_ID AS unit, COUNT(*) AS population, COALESCE(SUM(m.numerator), 0) AS numerator
            FROM members m
            JOIN member_units u ON u.member_id = m.member_id
            JOIN HFJ_RESOURCE o ON o.RES_ID = u.unit_id
            GROUP BY o.FHIR_ID""";

    private static final DateTimeFormatter BASIC = DateTimeFormatter.BASIC_ISO_DATE;

    /**
     * The day before the first a FHIR date can name (0001-01-01): the latest birth a minimum age
     * asks for is never earlier. A period in the first years with a minimum age of 65 would
     * otherwise ask for births in year -64, which no {@code yyyyMMdd} text can hold (it failed
     * with 500); nobody stored is born by this day either.
     */
    private static final LocalDate BEFORE_ANY_BIRTH = LocalDate.of(0, 12, 31);

    private final NamedParameterJdbcTemplate jdbc;
    private final PartitionSettings partitionSettings;
    private final Map<String, Object> fixedParameters;

    MeasureCalculator(
            NamedParameterJdbcTemplate jdbc, PartitionSettings partitionSettings, ConformanceResources conformance) {
        this.jdbc = jdbc;
        this.partitionSettings = partitionSettings;
        this.fixedParameters = Map.copyOf(fixedParameters(conformance));
    }

    /**
     * The counts of one measure over a period, both ends included, for the region and each unit;
     * with a care giver (its HSA-id), of the contracts that care giver owns only.
     */
    public MeasureCounts calculate(
            FollowUpMeasure measure,
            LocalDate periodStart,
            LocalDate periodEnd,
            int minimumAge,
            LocalDate today,
            Optional<String> careGiver) {
        Map<String, Object> parameters = parameters(periodStart, periodEnd, today);
        careGiver.ifPresent(hsaId -> {
            parameters.put("ownerSystem", Vocabulary.OWNER_CARE_GIVER);
            parameters.put("careGiver", hsaId);
        });
        LocalDate bornBy = latest(periodEnd.minusYears(minimumAge), BEFORE_ANY_BIRTH);
        parameters.put("bornBy", ordinal(bornBy));
        parameters.put("bornByPersonnummer", bornBy.format(BASIC));
        parameters.put(
                "bornBySamordningsnummer",
                bornBy.format(DateTimeFormatter.ofPattern("uuuuMM")) + (bornBy.getDayOfMonth() + 60));

        List<UnitCount> rows = jdbc.query(
                sql(measure, careGiver.isPresent()),
                parameters,
                (row, n) -> new UnitCount(
                        row.getString("unit"), new Count(row.getLong("population"), row.getLong("numerator"))));
        Count region = rows.stream()
                .filter(row -> row.unitId() == null)
                .map(UnitCount::count)
                .findFirst()
                .orElseThrow();
        List<UnitCount> units = rows.stream()
                .filter(row -> row.unitId() != null)
                .sorted(Comparator.comparing(UnitCount::unitId))
                .toList();
        return new MeasureCounts(region, units);
    }

    /** The hashes and link paths every statement may use, with the period and today as ordinals. */
    Map<String, Object> parameters(LocalDate periodStart, LocalDate periodEnd, LocalDate today) {
        Map<String, Object> parameters = new HashMap<>(fixedParameters);
        parameters.put("periodStart", ordinal(periodStart));
        parameters.put("periodEnd", ordinal(periodEnd));
        parameters.put("today", ordinal(today));
        return parameters;
    }

    /** The patient contracts in force in the period (contract_id, patient_id), of every care giver. */
    static String contractsInForce() {
        return CONTRACTS.replace("{owned}", "");
    }

    /**
     * The report statement of a measure. It starts with a comment that differs on every call:
     * H2 2.3 keeps a parsed statement per SQL text and may answer it again with the values of
     * an earlier call when it holds a common table expression (h2database issue 4228); a new
     * text is parsed anew. Parsing costs far less than the query.
     */
    static String sql(FollowUpMeasure measure, boolean ownedByOneCareGiver) {
        return REPORT.formatted(
                        "measure " + measure.id() + ", evaluation " + UUID.randomUUID(),
                        CONTRACTS.replace("{owned}", ownedByOneCareGiver ? OWNED_BY : ""),
                        CONTRACT_UNITS,
                        measure.members(),
                        measure.memberUnits())
                .replace("{contracts}", "contracts")
                .replace("{contract_units}", "contract_units")
                .replace("{members}", "members");
    }

    private Map<String, Object> fixedParameters(ConformanceResources conformance) {
        Map<String, Object> parameters = new HashMap<>();
        parameters.put(
                "category",
                tokenHash("CarePlan", "category", Vocabulary.CAREPLAN_CATEGORY, Vocabulary.CATEGORY_PATIENTKONTRAKT));
        parameters.put("sip", tokenHash("CarePlan", "category", Vocabulary.TYPE_OF_CARE_PLAN, "SIP"));
        for (int i = 0; i < IN_FORCE_STATUSES.size(); i++) {
            parameters.put(
                    "status" + i,
                    ResourceIndexedSearchParamToken.calculateHashValue(
                            partitionSettings, partition(), "CarePlan", "status", IN_FORCE_STATUSES.get(i)));
        }
        parameters.put("period", identityHash("CarePlan", "date"));
        parameters.put("nextStepDue", identityHash("CarePlan", "next-step-due"));
        parameters.put("nextStepCompleted", identityHash("CarePlan", "next-step-completed"));
        parameters.put("followUpDue", identityHash("CarePlan", "follow-up-due"));
        parameters.put("birthdate", identityHash("Patient", "birthdate"));
        parameters.put("personnummer", systemHash("Patient", "identifier", SwedishIdentifiers.PERSONNUMMER));
        parameters.put("samordningsnummer", systemHash("Patient", "identifier", SwedishIdentifiers.SAMORDNINGSNUMMER));
        // HAPI records a reference found by a search parameter under the parameter's expression.
        parameters.put("fastVardkontakt", expression(conformance, "pk-fast-vardkontakt"));
        parameters.put("fastLakarkontakt", expression(conformance, "pk-fast-lakarkontakt"));
        parameters.put("currentMember", expression(conformance, "pk-group-current-member"));
        parameters.put("gender", identityHash("Patient", "gender"));
        return parameters;
    }

    private static String expression(ConformanceResources conformance, String searchParameterId) {
        return conformance.definitions().stream()
                .filter(SearchParameter.class::isInstance)
                .map(SearchParameter.class::cast)
                .filter(sp -> searchParameterId.equals(sp.getIdElement().getIdPart()))
                .map(SearchParameter::getExpression)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("SearchParameter " + searchParameterId + " not shipped"));
    }

    private long identityHash(String resourceType, String parameter) {
        return BaseResourceIndexedSearchParam.calculateHashIdentity(
                partitionSettings, partition(), resourceType, parameter);
    }

    private long tokenHash(String resourceType, String parameter, String system, String value) {
        return ResourceIndexedSearchParamToken.calculateHashSystemAndValue(
                partitionSettings, partition(), resourceType, parameter, system, value);
    }

    private long systemHash(String resourceType, String parameter, String system) {
        return ResourceIndexedSearchParamToken.calculateHashSystem(
                partitionSettings, partition(), resourceType, parameter, system);
    }

    private static RequestPartitionId partition() {
        return RequestPartitionId.defaultPartition();
    }

    static int ordinal(LocalDate date) {
        return Integer.parseInt(date.format(BASIC));
    }

    private static LocalDate latest(LocalDate a, LocalDate b) {
        return a.isAfter(b) ? a : b;
    }

    public record Count(long population, long numerator) {}

    public record UnitCount(String unitId, Count count) {}

    public record MeasureCounts(Count region, List<UnitCount> units) {}
}
