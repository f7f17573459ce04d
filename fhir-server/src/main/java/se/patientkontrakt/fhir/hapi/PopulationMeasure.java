package se.patientkontrakt.fhir.hapi;

import java.util.Arrays;
import java.util.Optional;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * The regions' population questions (uppföljning of a target group or of the listed population),
 * one per {@code Measure} in {@code profiles/}: unlike {@link FollowUpMeasure}, which counts
 * contracts and their patients, these count the patients of a population (a target group's
 * members in force today, or every patient listed at a health centre) and ask of each whether a
 * contract, a SIP or a fast läkarkontakt exists. {@link PopulationCalculator} counts them in the
 * database; the Measure resources say the same in words.
 *
 * <p>{@code numerator} is an SQL condition on the population's patient {@code p.patient_id}.
 */
public enum PopulationMeasure {

    /** Kalmar's table: members of a target group (RUB 5) without a fast läkarkontakt, per health centre. */
    MALGRUPP_UTAN_FAST_LAKARKONTAKT(
            "pk-malgrupp-utan-fast-lakarkontakt", Population.TARGET_GROUP, "NOT " + Conditions.FAST_LAKARKONTAKT),

    /** Members of a target group with a patient contract in force in the period. */
    MALGRUPP_MED_PATIENTKONTRAKT(
            "pk-malgrupp-med-patientkontrakt", Population.TARGET_GROUP, Conditions.plan(":category")),

    /** Members of a target group with a SIP (a CarePlan of category SIP) in force in the period. */
    MALGRUPP_MED_SIP("pk-malgrupp-med-sip", Population.TARGET_GROUP, Conditions.plan(":sip")),

    /** The listed population with a named fast läkarkontakt i primärvård: the national 55 % target. */
    LISTADE_MED_FAST_LAKARKONTAKT("pk-listade-med-fast-lakarkontakt", Population.LISTED, Conditions.FAST_LAKARKONTAKT),

    /** SÄBO residents with a fast läkarkontakt: the national 80 % target. */
    SABO_MED_FAST_LAKARKONTAKT("pk-sabo-med-fast-lakarkontakt", Population.SABO, Conditions.FAST_LAKARKONTAKT),

    /** Which groups get contracts: contracts in force, by age band, sex and target group (a cohort). */
    PATIENTKONTRAKT_PER_GRUPP("pk-patientkontrakt-per-grupp", Population.CONTRACTS, null);

    /** Whom a measure counts. */
    public enum Population {
        /** The members in force today of the target group the request names. */
        TARGET_GROUP,
        /** The members in force today of the target group of kind {@code sabo}. */
        SABO,
        /** Every patient listed at a health centre (Patient.generalPractitioner). */
        LISTED,
        /** The patient contracts in force in the period, against every target group loaded. */
        CONTRACTS
    }

    /** The kind (pk-malgrupp-typ) of the SÄBO population. */
    public static final String SABO_KIND = "sabo";

    private static final class Conditions {
        /**
         * A contact team of the patient (CareTeam.subject) names a fast läkarkontakt i primärvård in
         * force today: the index of the search parameter fast-lakarkontakt holds only those.
         */
        static final String FAST_LAKARKONTAKT =
                """
                EXISTS (SELECT 1 FROM HFJ_RES_LINK s
                        JOIN HFJ_RES_LINK f ON f.SRC_RESOURCE_ID = s.SRC_RESOURCE_ID AND f.SRC_PATH = :fastLakarkontakt
                        WHERE s.TARGET_RESOURCE_ID = p.patient_id AND s.SRC_PATH = 'CareTeam.subject')""";

        /** A CarePlan of the category, the patient's, in force in the period (as a contract is). */
        static String plan(String categoryParameter) {
            return """
                    EXISTS (SELECT 1 FROM HFJ_RES_LINK s
                            JOIN HFJ_RESOURCE r ON r.RES_ID = s.SRC_RESOURCE_ID
                            WHERE s.TARGET_RESOURCE_ID = p.patient_id AND s.SRC_PATH = 'CarePlan.subject'
                              AND r.RES_TYPE = 'CarePlan' AND r.RES_DELETED_AT IS NULL
                              AND %s)"""
                    .formatted(MeasureCalculator.planInForce(categoryParameter));
        }
    }

    private final String id;
    private final Population population;
    private final String numerator;

    PopulationMeasure(String id, Population population, String numerator) {
        this.id = id;
        this.population = population;
        this.numerator = numerator;
    }

    public String id() {
        return id;
    }

    public String url() {
        return Vocabulary.CANONICAL_BASE + "/Measure/" + id;
    }

    public Population population() {
        return population;
    }

    /** A cohort (contracts counted) or a proportion (numerator over the population). */
    public FollowUpMeasure.Scoring scoring() {
        return population == Population.CONTRACTS ? FollowUpMeasure.Scoring.COHORT : FollowUpMeasure.Scoring.PROPORTION;
    }

    String numerator() {
        return numerator;
    }

    public static Optional<PopulationMeasure> byUrl(String url) {
        return Arrays.stream(values()).filter(m -> m.url().equals(url)).findFirst();
    }
}
