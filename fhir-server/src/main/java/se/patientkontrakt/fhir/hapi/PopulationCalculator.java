package se.patientkontrakt.fhir.hapi;

import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.hapi.MeasureCalculator.Count;

/**
 * Counts a {@link PopulationMeasure} in the database, in one statement over HAPI's index tables
 * (as {@link MeasureCalculator} does): the population's patients are found by index (a group's
 * members by the links of the search parameter {@code current-member}, the listed population by
 * the links {@code Patient.generalPractitioner} to the health centres), and each patient's
 * contract, SIP or fast läkarkontakt by an indexed look-up from that patient. No resource is read.
 *
 * <p>Rows: the whole population (no stratifier), then one per stratum: the listing health centre
 * ({@value #LISTING}, the Organization's id, none for a patient listed nowhere) for the share
 * measures; the age band ({@value #AGE_BAND}), sex ({@value #SEX}) and target group ({@value
 * #TARGET_GROUP}, the Group's id) for the contracts.
 */
@Component
public class PopulationCalculator {

    public static final String LISTING = "listning";
    public static final String AGE_BAND = "aldersgrupp";
    public static final String SEX = "kon";
    public static final String TARGET_GROUP = "malgrupp";

    /** The age bands, from the age in whole years at the end of the period. */
    public static final List<String> AGE_BANDS = List.of("0-17", "18-64", "65-74", "75-84", "85-");

    private static final String GROUP_MEMBERS =
            """
            SELECT DISTINCT m.TARGET_RESOURCE_ID AS patient_id FROM HFJ_RES_LINK m
            WHERE m.SRC_RESOURCE_ID = :group AND m.SRC_PATH = :currentMember AND m.TARGET_RESOURCE_TYPE = 'Patient'""";

    /** From the health centres (a few hundred), by HAPI's index on the link's target and path. */
    private static final String LISTED =
            """
            SELECT DISTINCT l.SRC_RESOURCE_ID AS patient_id FROM HFJ_RESOURCE o
            JOIN HFJ_RES_LINK l ON l.TARGET_RESOURCE_ID = o.RES_ID AND l.SRC_PATH = 'Patient.generalPractitioner'
            WHERE o.RES_TYPE = 'Organization' AND o.RES_DELETED_AT IS NULL""";

    private static final String SHARE =
            """
            /* %s */
            WITH population AS (%s),
            members AS (
                SELECT (SELECT MIN(g.TARGET_RESOURCE_ID) FROM HFJ_RES_LINK g
                        WHERE g.SRC_RESOURCE_ID = p.patient_id AND g.SRC_PATH = 'Patient.generalPractitioner') AS unit_id,
                       CASE WHEN %s THEN 1 ELSE 0 END AS numerator
                FROM population p)
            SELECT CAST(NULL AS VARCHAR(64)) AS stratifier, CAST(NULL AS VARCHAR(64)) AS stratum,
                   COUNT(*) AS population, COALESCE(SUM(numerator), 0) AS numerator
            FROM members
            UNION ALL
            SELECT '%s', o.FHIR_ID, COUNT(*), COALESCE(SUM(m.numerator), 0)
            FROM members m LEFT JOIN HFJ_RESOURCE o ON o.RES_ID = m.unit_id
            GROUP BY o.FHIR_ID"""
                    .formatted("%s", "%s", "%s", LISTING);

    /**
     * The birth date is Patient.birthDate or, without one, the date in the personnummer
     * (samordningsnummer: day + 60); the age is whole years at the end of the period, which the
     * difference of two {@code yyyyMMdd} numbers divided by 10,000 gives exactly.
     */
    private static final String CONTRACTS =
            """
            /* %s */
            WITH contracts AS (%s),
            members AS (
                SELECT k.contract_id, k.patient_id,
                       COALESCE(
                           (SELECT MIN(b.SP_VALUE_LOW_DATE_ORDINAL) FROM HFJ_SPIDX_DATE b
                            WHERE b.RES_ID = k.patient_id AND b.HASH_IDENTITY = :birthdate),
                           (SELECT MIN(CAST(SUBSTRING(i.SP_VALUE, 1, 8) AS INTEGER)
                                       - CASE WHEN i.HASH_SYS = :samordningsnummer THEN 60 ELSE 0 END)
                            FROM HFJ_SPIDX_TOKEN i
                            WHERE i.RES_ID = k.patient_id
                              AND (i.HASH_SYS = :personnummer OR i.HASH_SYS = :samordningsnummer))) AS born,
                       (SELECT MIN(x.SP_VALUE) FROM HFJ_SPIDX_TOKEN x
                        WHERE x.RES_ID = k.patient_id AND x.HASH_IDENTITY = :gender) AS sex
                FROM contracts k)
            SELECT CAST(NULL AS VARCHAR(64)) AS stratifier, CAST(NULL AS VARCHAR(64)) AS stratum,
                   COUNT(*) AS population, 0 AS numerator
            FROM members
            UNION ALL
            SELECT '%s', band, COUNT(*), 0
            FROM (SELECT CASE WHEN born IS NULL THEN NULL
                              WHEN (:periodEnd - born) / 10000 < 18 THEN '0-17'
                              WHEN (:periodEnd - born) / 10000 < 65 THEN '18-64'
                              WHEN (:periodEnd - born) / 10000 < 75 THEN '65-74'
                              WHEN (:periodEnd - born) / 10000 < 85 THEN '75-84'
                              ELSE '85-' END AS band
                  FROM members) a
            GROUP BY band
            UNION ALL
            SELECT '%s', sex, COUNT(*), 0 FROM members GROUP BY sex
            UNION ALL
            SELECT '%s', g.FHIR_ID, COUNT(DISTINCT m.contract_id), 0
            FROM members m
            JOIN HFJ_RES_LINK l ON l.TARGET_RESOURCE_ID = m.patient_id AND l.SRC_PATH = :currentMember
            JOIN HFJ_RESOURCE g ON g.RES_ID = l.SRC_RESOURCE_ID AND g.RES_TYPE = 'Group' AND g.RES_DELETED_AT IS NULL
            GROUP BY g.FHIR_ID"""
                    .formatted("%s", "%s", AGE_BAND, SEX, TARGET_GROUP);

    private final NamedParameterJdbcTemplate jdbc;
    private final MeasureCalculator measures;

    PopulationCalculator(NamedParameterJdbcTemplate jdbc, MeasureCalculator measures) {
        this.jdbc = jdbc;
        this.measures = measures;
    }

    /**
     * The counts of a measure: the whole population first, then each stratum. {@code groupId} is
     * the target group's resource id (HAPI's RES_ID) for the measures over one group, else null.
     */
    public List<Row> calculate(
            PopulationMeasure measure, Long groupId, LocalDate periodStart, LocalDate periodEnd, LocalDate today) {
        Map<String, Object> parameters = measures.parameters(periodStart, periodEnd, today);
        parameters.put("group", groupId == null ? -1L : groupId);
        return jdbc.query(
                sql(measure),
                parameters,
                (row, n) -> new Row(
                        row.getString("stratifier"),
                        row.getString("stratum"),
                        new Count(row.getLong("population"), row.getLong("numerator"))));
    }

    /** The statement, with a comment that differs on every call (see {@link MeasureCalculator#sql}). */
    static String sql(PopulationMeasure measure) {
        String comment = "measure " + measure.id() + ", evaluation " + UUID.randomUUID();
        return switch (measure.population()) {
            case CONTRACTS -> CONTRACTS.formatted(comment, MeasureCalculator.contractsInForce());
            case LISTED -> SHARE.formatted(comment, LISTED, measure.numerator());
            case TARGET_GROUP, SABO -> SHARE.formatted(comment, GROUP_MEMBERS, measure.numerator());
        };
    }

    /** The whole population ({@code stratifier} null) or one stratum ({@code stratum} null: none recorded). */
    public record Row(String stratifier, String stratum, Count count) {}

    /** The resource id (RES_ID) of a Group by its FHIR id, if it is stored and not deleted. */
    public Long groupResourceId(String fhirId) {
        List<Long> ids = jdbc.queryForList(
                "SELECT RES_ID FROM HFJ_RESOURCE WHERE RES_TYPE = 'Group' AND FHIR_ID = :id AND RES_DELETED_AT IS NULL",
                Map.of("id", fhirId),
                Long.class);
        return ids.isEmpty() ? null : ids.get(0);
    }
}
