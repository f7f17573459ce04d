package se.patientkontrakt.fhir.hapi;

import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The id and version of every contract, care team, goal and consent about each of some patients,
 * read in one query over HAPI's reference index ({@code HFJ_RES_LINK}): the index the searches
 * {@code CarePlan?subject=}, {@code CareTeam?subject=}, {@code Goal?subject=} and {@code
 * Consent?patient=} read, so it names exactly what they would find, without loading any of it.
 */
@Component
public class PatientDataVersions {

    /** The reference paths read: each type's {@code subject}, the consent's {@code patient}. */
    static final List<String> PATHS =
            List.of("CarePlan.subject", "CareTeam.subject", "Goal.subject", "Consent.patient");

    private static final String VERSIONS = "SELECT p.FHIR_ID AS PATIENT, r.RES_TYPE, r.FHIR_ID, r.RES_VER"
            + " FROM HFJ_RESOURCE p"
            + " JOIN HFJ_RES_LINK l ON l.TARGET_RESOURCE_ID = p.RES_ID AND l.SRC_PATH IN (:paths)"
            + " JOIN HFJ_RESOURCE r ON r.RES_ID = l.SRC_RESOURCE_ID AND r.RES_DELETED_AT IS NULL"
            + " WHERE p.RES_TYPE = 'Patient' AND p.FHIR_ID IN (:patients)";

    private final NamedParameterJdbcTemplate jdbc;
    private final boolean partitioned;

    PatientDataVersions(DataSource dataSource, PartitionSettings partitionSettings) {
        this.jdbc = new NamedParameterJdbcTemplate(dataSource);
        this.partitioned = partitionSettings.isPartitioningEnabled();
    }

    /**
     * For each patient ({@code Patient} id), the {@link #version} of each of their contracts,
     * teams, goals and consents the database holds now; empty when this cannot be known here
     * (under partitioning a reference and its target may sit in partitions not assumed here).
     */
    public Optional<Map<String, Set<String>>> of(Collection<String> patientIds) {
        if (partitioned || patientIds.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Set<String>> now = new HashMap<>();
        patientIds.forEach(id -> now.put(id, new TreeSet<>()));
        jdbc.query(
                VERSIONS,
                new MapSqlParameterSource("paths", PATHS).addValue("patients", List.copyOf(patientIds)),
                row -> {
                    Set<String> versions = now.get(row.getString(1));
                    if (versions != null) {
                        versions.add(version(row.getString(2), row.getString(3), String.valueOf(row.getLong(4))));
                    }
                });
        return Optional.of(now);
    }

    /** How one resource's version is named: {@code Type/id/_history/n}. */
    public static String version(String type, String id, String version) {
        return type + "/" + id + "/_history/" + version;
    }
}
