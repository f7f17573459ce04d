package se.patientkontrakt.fhir.hapi;

import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
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

    /*
     * Three statements, each planned in a moment and each walking one index, rather than one join:
     * a patient who is read often is the target of thousands of access-log links (AuditEvent.entity),
     * and PostgreSQL, planning the join, kept only the patient's id as the index condition on the
     * link index and filtered the paths row by row: 0.5 s for a page of 20 such patients, where
     * the path as a second index condition takes a millisecond. Planned alone, the link lookup uses
     * both columns; the versions are then read by primary key.
     *
     * The link lookup asks for each path with an equality of its own (one branch of a UNION ALL per
     * path), not with one IN list of paths: the driver prepares a statement run often, and
     * PostgreSQL's generic plan for it, costed for a patient with a handful of links, took an IN
     * list of paths as a filter rather than an index condition. Each read of a work list then
     * walked every access-log link of its 20 patients, a walk that grew with every read (38 ms a
     * page after a few thousand reads of the same patients, against under 1 ms by equality).
     */
    private static final String PATIENTS =
            "SELECT RES_ID, FHIR_ID FROM HFJ_RESOURCE WHERE RES_TYPE = 'Patient' AND FHIR_ID IN (:patients)";

    private static final String LINKS = PATHS.stream()
            .map(path -> "SELECT TARGET_RESOURCE_ID, SRC_RESOURCE_ID FROM HFJ_RES_LINK"
                    + " WHERE TARGET_RESOURCE_ID IN (:patients) AND SRC_PATH = '" + path + "'")
            .collect(Collectors.joining(" UNION ALL "));

    private static final String VERSIONS = "SELECT RES_ID, RES_TYPE, FHIR_ID, RES_VER FROM HFJ_RESOURCE"
            + " WHERE RES_ID IN (:resources) AND RES_DELETED_AT IS NULL";

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
        Map<Long, String> patients = new HashMap<>();
        jdbc.query(PATIENTS, new MapSqlParameterSource("patients", List.copyOf(patientIds)), row -> {
            patients.put(row.getLong(1), row.getString(2));
        });
        if (patients.isEmpty()) {
            return Optional.of(now);
        }
        Map<Long, String> patientOfResource = new HashMap<>();
        jdbc.query(LINKS, new MapSqlParameterSource("patients", List.copyOf(patients.keySet())), row -> {
            patientOfResource.put(row.getLong(2), patients.get(row.getLong(1)));
        });
        for (List<Long> chunk : chunks(List.copyOf(patientOfResource.keySet()))) {
            jdbc.query(VERSIONS, new MapSqlParameterSource("resources", chunk), row -> {
                Set<String> versions = now.get(patientOfResource.get(row.getLong(1)));
                if (versions != null) {
                    versions.add(version(row.getString(2), row.getString(3), String.valueOf(row.getLong(4))));
                }
            });
        }
        return Optional.of(now);
    }

    /** At most this many ids in one IN list: a patient may have many contracts, teams and goals. */
    private static final int IDS_AT_ONCE = 500;

    private static List<List<Long>> chunks(List<Long> ids) {
        List<List<Long>> chunks = new ArrayList<>();
        for (int from = 0; from < ids.size(); from += IDS_AT_ONCE) {
            chunks.add(ids.subList(from, Math.min(ids.size(), from + IDS_AT_ONCE)));
        }
        return chunks;
    }

    /** How one resource's version is named: {@code Type/id/_history/n}. */
    public static String version(String type, String id, String version) {
        return type + "/" + id + "/_history/" + version;
    }
}
