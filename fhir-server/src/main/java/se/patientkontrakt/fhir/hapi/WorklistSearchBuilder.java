package se.patientkontrakt.fhir.hapi;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import ca.uhn.fhir.jpa.dao.IResultIterator;
import ca.uhn.fhir.jpa.dao.ISearchBuilder;
import ca.uhn.fhir.jpa.model.dao.JpaPid;
import ca.uhn.fhir.jpa.model.search.SearchBuilderLoadIncludesParameters;
import ca.uhn.fhir.jpa.model.search.SearchRuntimeDetails;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.model.api.Include;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.param.DateRangeParam;
import jakarta.persistence.EntityManager;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * HAPI's search builder for one search, with the overdue work list taken by {@link
 * OverdueWorklistQuery}; everything else (other searches, counts, loading, includes) is HAPI's.
 * HAPI asks for matches in rounds of growing size, each time naming the ones it already has:
 * the walk is repeated from the start as HAPI's own query is, and those are skipped.
 */
class WorklistSearchBuilder implements ISearchBuilder<JpaPid> {

    private final ISearchBuilder<JpaPid> hapi;
    private final String resourceType;
    private final OverdueWorklistQuery overdue;
    private Integer maxResults;
    private List<JpaPid> previouslyAdded = List.of();

    WorklistSearchBuilder(ISearchBuilder<JpaPid> hapi, String resourceType, OverdueWorklistQuery overdue) {
        this.hapi = hapi;
        this.resourceType = resourceType;
        this.overdue = overdue;
    }

    @Override
    public IResultIterator<JpaPid> createQuery(
            SearchParameterMap params,
            SearchRuntimeDetails runtime,
            RequestDetails request,
            RequestPartitionId partition) {
        Optional<OverdueWorklistQuery.Walk> walk = overdue.plan(resourceType, params, partition);
        if (walk.isEmpty()) {
            return hapi.createQuery(params, runtime, request, partition);
        }
        return walkResults(walk.get());
    }

    /**
     * The first {@code maxResults} contracts of the walk (all when unbounded), those HAPI already
     * holds counted as skipped. Index rows are fetched in growing batches until enough distinct
     * contracts are found or the walk ends.
     */
    private IResultIterator<JpaPid> walkResults(OverdueWorklistQuery.Walk walk) {
        int wanted = maxResults == null ? Integer.MAX_VALUE : maxResults;
        Set<Long> already = JpaPid.toLongSet(previouslyAdded);
        Set<Long> distinct = new LinkedHashSet<>();
        int batch = Math.max(64, Math.min(wanted, 1 << 20) + 16);
        while (true) {
            List<Long> rows = overdue.rows(walk, batch);
            distinct.clear();
            for (Long id : rows) {
                if (distinct.size() == wanted) {
                    break;
                }
                distinct.add(id);
            }
            if (distinct.size() == wanted || rows.size() < batch) {
                break;
            }
            batch = batch > Integer.MAX_VALUE / 4 ? Integer.MAX_VALUE : batch * 4;
        }
        List<JpaPid> found = new ArrayList<>();
        int skipped = 0;
        for (Long id : distinct) {
            if (already.contains(id)) {
                skipped++;
            } else {
                found.add(JpaPid.fromId(id));
            }
        }
        return new RoundOfMatches(found, skipped);
    }

    /** The matches of one round, in order. */
    private static final class RoundOfMatches implements IResultIterator<JpaPid> {
        private final Iterator<JpaPid> matches;
        private final int skipped;
        private int returned;

        RoundOfMatches(List<JpaPid> matches, int skipped) {
            this.matches = matches.iterator();
            this.skipped = skipped;
        }

        @Override
        public boolean hasNext() {
            return matches.hasNext();
        }

        @Override
        public JpaPid next() {
            if (!matches.hasNext()) {
                throw new NoSuchElementException();
            }
            returned++;
            return matches.next();
        }

        @Override
        public int getSkippedCount() {
            return skipped;
        }

        @Override
        public int getNonSkippedCount() {
            return returned;
        }

        @Override
        public Collection<JpaPid> getNextResultBatch(long batchSize) {
            List<JpaPid> batch = new ArrayList<>();
            while (batch.size() < batchSize && hasNext()) {
                batch.add(next());
            }
            return batch;
        }

        @Override
        public void close() {
            // Nothing held open: the round was read in full.
        }
    }

    @Override
    public Long createCountQuery(
            SearchParameterMap params, String searchUuid, RequestDetails request, RequestPartitionId partition) {
        return hapi.createCountQuery(params, searchUuid, request, partition);
    }

    @Override
    public void setMaxResultsToFetch(Integer maxResults) {
        this.maxResults = maxResults;
        hapi.setMaxResultsToFetch(maxResults);
    }

    @Override
    public void setDeduplicateInDatabase(boolean deduplicate) {
        hapi.setDeduplicateInDatabase(deduplicate);
    }

    @Override
    public void setRequireTotal(boolean requireTotal) {
        hapi.setRequireTotal(requireTotal);
    }

    @Override
    public boolean requiresTotal() {
        return hapi.requiresTotal();
    }

    @Override
    public void loadResourcesByPid(
            Collection<JpaPid> pids,
            Collection<JpaPid> includedPids,
            List<IBaseResource> resources,
            boolean forHistoryOperation,
            RequestDetails request) {
        hapi.loadResourcesByPid(pids, includedPids, resources, forHistoryOperation, request);
    }

    @Override
    public Set<JpaPid> loadIncludes(
            FhirContext context,
            EntityManager entityManager,
            Collection<JpaPid> matches,
            Collection<Include> includes,
            boolean reverseMode,
            DateRangeParam lastUpdated,
            String searchIdOrDescription,
            RequestDetails request,
            Integer maxCount) {
        return hapi.loadIncludes(
                context,
                entityManager,
                matches,
                includes,
                reverseMode,
                lastUpdated,
                searchIdOrDescription,
                request,
                maxCount);
    }

    @Override
    public Set<JpaPid> loadIncludes(SearchBuilderLoadIncludesParameters<JpaPid> parameters) {
        return hapi.loadIncludes(parameters);
    }

    @Override
    public void setFetchSize(int fetchSize) {
        hapi.setFetchSize(fetchSize);
    }

    @Override
    public void setPreviouslyAddedResourcePids(List<JpaPid> previouslyAdded) {
        this.previouslyAdded = List.copyOf(previouslyAdded);
        hapi.setPreviouslyAddedResourcePids(previouslyAdded);
    }
}
