package se.patientkontrakt.fhir.hapi;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import ca.uhn.fhir.jpa.api.svc.IIdHelperService;
import ca.uhn.fhir.jpa.dao.tx.IHapiTransactionService;
import ca.uhn.fhir.jpa.entity.Search;
import ca.uhn.fhir.jpa.entity.SearchTypeEnum;
import ca.uhn.fhir.jpa.model.dao.JpaPid;
import ca.uhn.fhir.jpa.model.search.SearchStatusEnum;
import ca.uhn.fhir.jpa.search.cache.ISearchCacheSvc;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.model.api.IQueryParameterType;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.stereotype.Component;

/**
 * What a stored search (the one behind a page link, {@code ?_getpages={uuid}}) was: a search of a
 * type with which parameters, or the history of one resource. HAPI keeps this in its search cache
 * ({@code HFJ_SEARCH}), shared by every node, so a page asked of any node can be told apart.
 */
@Component
public class StoredSearches {

    /**
     * A stored search.
     *
     * @param history whether it is a history rather than a search
     * @param resourceType the type searched, or whose history it is (empty: the whole server's)
     * @param resourceId for the history of one resource, that resource's id part
     * @param parameters the search parameters: each name with its AND-ed OR lists, as query tokens
     */
    public record StoredSearch(
            boolean history,
            Optional<String> resourceType,
            Optional<String> resourceId,
            Map<String, Set<Set<String>>> parameters) {}

    private final ISearchCacheSvc searches;
    private final IIdHelperService<JpaPid> idHelper;
    private final IHapiTransactionService transactions;
    private final FhirContext fhirContext;

    StoredSearches(
            ISearchCacheSvc searches,
            IIdHelperService<JpaPid> idHelper,
            IHapiTransactionService transactions,
            FhirContext fhirContext) {
        this.searches = searches;
        this.idHelper = idHelper;
        this.transactions = transactions;
        this.fhirContext = fhirContext;
    }

    /** The stored search with this id, if it exists and has not failed. */
    public Optional<StoredSearch> find(String uuid) {
        return transactions.withSystemRequest().readOnly().execute(() -> searches.fetchByUuid(
                        uuid, RequestPartitionId.allPartitions())
                .filter(search -> search.getStatus() != SearchStatusEnum.FAILED)
                .map(this::describe));
    }

    private StoredSearch describe(Search search) {
        boolean history = search.getSearchType() == SearchTypeEnum.HISTORY;
        Optional<String> resourceId = Optional.ofNullable(search.getResourceId())
                .flatMap(idHelper::translatePidIdToForcedIdWithCache)
                .map(id -> id.contains("/") ? id.substring(id.lastIndexOf('/') + 1) : id);
        Map<String, Set<Set<String>>> parameters = new LinkedHashMap<>();
        search.getSearchParameterMap()
                .ifPresent(map -> map.keySet().forEach(name -> parameters.put(name, tokens(map, name))));
        if (parameters.isEmpty() && search.getSearchQueryString() != null) {
            // HAPI keeps the parameter map only of a search it has not finished loading; the
            // normalized query string it matches searches by is kept for every one.
            parameters.putAll(fromQueryString(search.getSearchQueryString()));
        }
        return new StoredSearch(history, Optional.ofNullable(search.getResourceType()), resourceId, parameters);
    }

    /**
     * The parameters of HAPI's normalized query string ({@code ?a=x,y&a=z}: repeated names AND,
     * unescaped commas OR), each value unescaped ({@code \,} {@code \|} {@code \$} {@code \\}).
     */
    static Map<String, Set<Set<String>>> fromQueryString(String stored) {
        Map<String, Set<Set<String>>> parameters = new LinkedHashMap<>();
        int query = stored.indexOf('?');
        String[] parts = (query < 0 ? stored : stored.substring(query + 1)).split("&");
        for (String part : parts) {
            int equals = part.indexOf('=');
            if (part.isEmpty() || equals < 0) {
                continue;
            }
            String name = URLDecoder.decode(part.substring(0, equals), StandardCharsets.UTF_8);
            String value = URLDecoder.decode(part.substring(equals + 1), StandardCharsets.UTF_8);
            Set<String> or = Arrays.stream(value.split("(?<!\\\\),"))
                    .map(v -> v.replaceAll("\\\\([,|$\\\\])", "$1"))
                    .collect(Collectors.toSet());
            parameters.computeIfAbsent(name, n -> new HashSet<>()).add(or);
        }
        return parameters;
    }

    private Set<Set<String>> tokens(SearchParameterMap map, String name) {
        return map.get(name).stream()
                .map(or -> or.stream().map(this::token).collect(Collectors.toSet()))
                .collect(Collectors.toSet());
    }

    private String token(IQueryParameterType value) {
        return value.getValueAsQueryToken(fhirContext);
    }
}
