package se.patientkontrakt.fhir.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.LocalDate;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.Owner;
import se.patientkontrakt.fhir.hapi.PatientDataVersions;

/**
 * What is known of each patient's care (who owns each contract, team, goal and consent, which units
 * take part today, which samtycken and spärrar hold), remembered across requests with the exact
 * versions it was worked out from.
 *
 * <p>Weighing a patient costs four searches that load and parse every contract, team, goal and
 * consent of theirs; knowing whether those are still the same costs one query over HAPI's reference
 * index ({@code HFJ_RES_LINK}, the index the four searches read) for the id and version of each. What
 * was worked out is used only when that set is the same as the one it was worked out from, on the
 * same Swedish day: a change to any of them, a new one or a deleted one, on this node or another,
 * is seen at the next request, and no request can store what an older state said under a newer
 * one (the key is the versions read, not the time). What it was worked out with from the directory
 * (a unit's HSA-id) is forgotten, as {@link DirectoryHsaIds} forgets it, on a local write of an
 * Organization or PractitionerRole and after {@link DirectoryHsaIds#REMEMBER}.
 */
@Component
@AccessControlEnabled
class WeighedPatients {

    /**
     * One patient's weighed care.
     *
     * @param day the Swedish day it holds for
     * @param versions {@code Type/id/version} of every contract, team, goal and consent it was
     *     worked out from
     * @param facts what the rule needs to know of the patient
     * @param owners the owner of each of them ({@code Type/id}), empty when it carries none
     */
    record Weighed(LocalDate day, Set<String> versions, PdlRule.Facts facts, Map<String, Optional<Owner>> owners) {}

    private final Cache<String, Weighed> known = Caffeine.newBuilder()
            .expireAfterWrite(DirectoryHsaIds.REMEMBER)
            .maximumSize(20_000)
            .build();

    private final PatientDataVersions database;

    WeighedPatients(PatientDataVersions database, DirectoryHsaIds directory) {
        this.database = database;
        // What was weighed holds HSA-ids read from the directory: forgotten with them.
        directory.onForget(known::invalidateAll);
    }

    /**
     * What is remembered of these patients that still holds: worked out on this day from the
     * versions of their contracts, teams, goals and consents that the database holds now.
     */
    Map<String, Weighed> stillHolding(Collection<String> patientIds, LocalDate day) {
        Map<String, Weighed> candidates = new HashMap<>();
        for (String id : patientIds) {
            Weighed weighed = known.getIfPresent(id);
            if (weighed != null && weighed.day().equals(day)) {
                candidates.put(id, weighed);
            }
        }
        Optional<Map<String, Set<String>>> now = database.of(candidates.keySet());
        if (now.isEmpty()) {
            return Map.of(); // not knowable here: every patient is weighed afresh
        }
        Map<String, Weighed> holding = new HashMap<>();
        candidates.forEach((id, weighed) -> {
            if (weighed.versions().equals(now.get().get(id))) {
                holding.put(id, weighed);
            }
        });
        return holding;
    }

    /** Remembers what was worked out for the patient from exactly these resources. */
    Weighed remember(
            String patientId,
            LocalDate day,
            List<IBaseResource> resources,
            PdlRule.Facts facts,
            Map<String, Optional<Owner>> owners) {
        Set<String> versions = new TreeSet<>();
        for (IBaseResource resource : resources) {
            versions.add(PatientDataVersions.version(
                    resource.fhirType(),
                    resource.getIdElement().getIdPart(),
                    resource.getIdElement().getVersionIdPart()));
        }
        Weighed weighed = new Weighed(day, Set.copyOf(versions), facts, Map.copyOf(owners));
        known.put(patientId, weighed);
        return weighed;
    }
}
