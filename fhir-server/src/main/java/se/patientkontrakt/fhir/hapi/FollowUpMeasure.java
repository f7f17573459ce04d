package se.patientkontrakt.fhir.hapi;

import java.util.Arrays;
import java.util.Optional;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * The follow-up measures (uppföljning) this server computes, one per {@code Measure} in
 * {@code profiles/}. Each says, in SQL over HAPI's search index, who its members are (contracts,
 * patients or promised next steps), which of them are in the numerator, and which care units each
 * member belongs to. {@link MeasureCalculator} puts the pieces together; the Measure resources
 * say the same in words.
 *
 * <p>Every piece may use the common tables of {@link MeasureCalculator}, written in braces:
 * {@code {contracts}} (contract_id, patient_id) of the patient contracts
 * in force in the period, and {@code {contract_units}} (contract_id, patient_id, unit_id).
 * {@code members} must give {@code member_id} and {@code numerator} (1 or 0);
 * {@code memberUnits} gives {@code member_id, unit_id} and may read {@code {members}}.
 */
public enum FollowUpMeasure {

    /** Antal patientkontrakt: contracts in force, counted (a cohort). */
    ANTAL_PATIENTKONTRAKT(
            "pk-antal-patientkontrakt",
            Scoring.COHORT,
            "SELECT contract_id AS member_id, 0 AS numerator FROM {contracts} k",
            Units.CONTRACT_UNITS),

    /**
     * Contracts that refer to a SIP (supportingInfo or basedOn → CarePlan of category SIP). The
     * category is checked in an EXISTS of its own, from the reference: as a join, H2 started from
     * every SIP and took 73 s at 10,000 contracts.
     */
    PATIENTKONTRAKT_MED_SIP(
            "pk-patientkontrakt-med-sip",
            Scoring.PROPORTION,
            """
            SELECT k.contract_id AS member_id,
                   CASE WHEN EXISTS (
                       SELECT 1 FROM HFJ_RES_LINK l
                       WHERE l.SRC_RESOURCE_ID = k.contract_id
                         AND l.SRC_PATH IN ('CarePlan.supportingInfo', 'CarePlan.basedOn')
                         AND EXISTS (SELECT 1 FROM HFJ_SPIDX_TOKEN c
                                     WHERE c.RES_ID = l.TARGET_RESOURCE_ID AND c.HASH_SYS_AND_VALUE = :sip))
                   THEN 1 ELSE 0 END AS numerator
            FROM {contracts} k""",
            Units.CONTRACT_UNITS),

    /** Patients with a contract whose contact team names a fast vårdkontakt (code 1 or 4) in force today. */
    FAST_VARDKONTAKT(
            "pk-fast-vardkontakt-andel",
            Scoring.PROPORTION,
            patientsWithTeamMember(":fastVardkontakt"),
            Units.PATIENT_UNITS),

    /** Patients with a contract whose contact team names a fast läkarkontakt i primärvården (code 2) in force today. */
    FAST_LAKARKONTAKT(
            "pk-fast-lakarkontakt-andel",
            Scoring.PROPORTION,
            patientsWithTeamMember(":fastLakarkontakt"),
            Units.PATIENT_UNITS),

    /**
     * Patients of at least {@code minimumAge} years at the end of the period with both a fast
     * läkarkontakt and a fast vårdkontakt. The birth date is Patient.birthDate or, without one,
     * the date in the personnummer (samordningsnummer: day + 60, which keeps the text order).
     */
    ALDRE_FAST_LAKARKONTAKT_OCH_VARDKONTAKT(
            "pk-aldre-fast-lakar-och-vardkontakt",
            Scoring.PROPORTION,
            """
            SELECT patient_id AS member_id, CASE WHEN MAX(gp) = 1 AND MAX(contact) = 1 THEN 1 ELSE 0 END AS numerator
            FROM (SELECT k.patient_id,
                         CASE WHEN EXISTS (%s) THEN 1 ELSE 0 END AS gp,
                         CASE WHEN EXISTS (%s) THEN 1 ELSE 0 END AS contact
                  FROM {contracts} k
                  WHERE EXISTS (SELECT 1 FROM HFJ_SPIDX_DATE b
                                WHERE b.RES_ID = k.patient_id AND b.HASH_IDENTITY = :birthdate
                                  AND b.SP_VALUE_LOW_DATE_ORDINAL <= :bornBy)
                     OR (NOT EXISTS (SELECT 1 FROM HFJ_SPIDX_DATE b
                                     WHERE b.RES_ID = k.patient_id AND b.HASH_IDENTITY = :birthdate)
                         AND EXISTS (SELECT 1 FROM HFJ_SPIDX_TOKEN i
                                     WHERE i.RES_ID = k.patient_id
                                       AND ((i.HASH_SYS = :personnummer
                                             AND SUBSTRING(i.SP_VALUE, 1, 8) <= :bornByPersonnummer)
                                         OR (i.HASH_SYS = :samordningsnummer
                                             AND SUBSTRING(i.SP_VALUE, 1, 8) <= :bornBySamordningsnummer))))) f
            GROUP BY patient_id"""
                    .formatted(teamHas(":fastLakarkontakt"), teamHas(":fastVardkontakt")),
            Units.PATIENT_UNITS),

    /**
     * Next steps promised within the period: delivered (completed) versus overdue (still open
     * after the promised date). A member is one promised date of one contract, as indexed.
     */
    NASTA_STEG_I_TID(
            "pk-nasta-steg-i-tid",
            Scoring.PROPORTION,
            """
            SELECT d.SP_ID AS member_id, d.RES_ID AS contract_id,
                   CASE WHEN d.HASH_IDENTITY = :nextStepCompleted THEN 1 ELSE 0 END AS numerator
            FROM HFJ_SPIDX_DATE d
            JOIN {contracts} k ON k.contract_id = d.RES_ID
            WHERE d.SP_VALUE_HIGH_DATE_ORDINAL BETWEEN :periodStart AND :periodEnd
              AND (d.HASH_IDENTITY = :nextStepCompleted
                   OR (d.HASH_IDENTITY = :nextStepDue AND d.SP_VALUE_HIGH_DATE_ORDINAL < :today))""",
            "SELECT m.member_id, u.unit_id FROM {members} m JOIN {contract_units} u ON u.contract_id = m.contract_id"),

    /** Contracts whose follow-up (uppföljning) date has passed while the follow-up is still open. */
    UPPFOLJNING_FORSENAD(
            "pk-uppfoljning-forsenad",
            Scoring.PROPORTION,
            """
            SELECT k.contract_id AS member_id,
                   CASE WHEN EXISTS (
                       SELECT 1 FROM HFJ_SPIDX_DATE f
                       WHERE f.RES_ID = k.contract_id AND f.HASH_IDENTITY = :followUpDue
                         AND f.SP_VALUE_HIGH_DATE_ORDINAL <= :periodEnd AND f.SP_VALUE_HIGH_DATE_ORDINAL < :today)
                   THEN 1 ELSE 0 END AS numerator
            FROM {contracts} k""",
            Units.CONTRACT_UNITS);

    public enum Scoring {
        /** Counts members: an initial population only. */
        COHORT,
        /** Numerator over denominator; the initial population is the denominator. */
        PROPORTION
    }

    /** Member-to-unit tables shared by several measures. */
    private static final class Units {
        static final String CONTRACT_UNITS = "SELECT contract_id AS member_id, unit_id FROM {contract_units} u";
        static final String PATIENT_UNITS = "SELECT DISTINCT patient_id AS member_id, unit_id FROM {contract_units} u";
    }

    private final String id;
    private final Scoring scoring;
    private final String members;
    private final String memberUnits;

    FollowUpMeasure(String id, Scoring scoring, String members, String memberUnits) {
        this.id = id;
        this.scoring = scoring;
        this.members = members;
        this.memberUnits = memberUnits;
    }

    public String id() {
        return id;
    }

    public String url() {
        return Vocabulary.CANONICAL_BASE + "/Measure/" + id;
    }

    public Scoring scoring() {
        return scoring;
    }

    String members() {
        return members;
    }

    String memberUnits() {
        return memberUnits;
    }

    public boolean takesMinimumAge() {
        return this == ALDRE_FAST_LAKARKONTAKT_OCH_VARDKONTAKT;
    }

    public static Optional<FollowUpMeasure> byUrl(String url) {
        return Arrays.stream(values()).filter(m -> m.url().equals(url)).findFirst();
    }

    /** Patients with a contract, in the numerator when a contract's team has the given role. */
    private static String patientsWithTeamMember(String pathParameter) {
        return """
                SELECT patient_id AS member_id, MAX(flag) AS numerator
                FROM (SELECT k.patient_id, CASE WHEN EXISTS (%s) THEN 1 ELSE 0 END AS flag FROM {contracts} k) f
                GROUP BY patient_id"""
                .formatted(teamHas(pathParameter));
    }

    /**
     * The contract's contact team has a participant indexed under the given link path. For the
     * fixed contacts that index holds only those in force today ({@code FixedContactReindex}), so
     * the measures count the contacts the work lists find.
     */
    private static String teamHas(String pathParameter) {
        return """
                SELECT 1 FROM HFJ_RES_LINK t
                JOIN HFJ_RES_LINK p ON p.SRC_RESOURCE_ID = t.TARGET_RESOURCE_ID AND p.SRC_PATH = %s
                WHERE t.SRC_RESOURCE_ID = k.contract_id AND t.SRC_PATH = 'CarePlan.careTeam'"""
                .formatted(pathParameter);
    }
}
