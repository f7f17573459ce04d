package se.patientkontrakt.fhir.security;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.i18n.Msg;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.IPreResourceShowDetails;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.ResponseDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.util.UrlUtil;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.BundleEntryComponent;
import org.hl7.fhir.r4.model.Bundle.HTTPVerb;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Parameters.ParametersParameterComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.hapi.StoredSearches;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.RestInterceptor;

/**
 * The patient boundary: what a patient token may not read, it never receives. One guard, at the
 * four places where data can leave the server, for every interaction HAPI serves:
 *
 * <ol>
 *   <li><b>The request</b> ({@code SERVER_INCOMING_REQUEST_POST_PROCESSED}, and each entry of a
 *       batch or transaction at {@code SERVER_INCOMING_REQUEST_PRE_HANDLED}): a patient's search is
 *       narrowed to what the patient may see ({@link PatientView#narrowing}), so its matches, its
 *       {@code total} and {@code _summary=count} count only that; search parameters that reach
 *       across resources ({@code _has}, chains) are refused, as are history of a whole type or the
 *       server, searches across all types, a page of a search the patient did not make, and every
 *       conditional request (whose match would be reported whether or not the patient may see it).
 *       For every token, a conditional create, update or delete needs the right to read the type.
 *   <li><b>What storage shows</b> ({@code STORAGE_PRESHOW_RESOURCES}, for reads, searches,
 *       includes, history, pages and operations alike): a resource the patient may not see is left
 *       out, and a read of one answers 404 exactly as for one that does not exist; an access-log
 *       entry is shown without other people's identities.
 *   <li><b>The response</b> ({@code SERVER_OUTGOING_RESPONSE}): every resource and every reference
 *       in what is about to be sent, whatever the interaction or operation, is checked once more;
 *       anything the patient may not see withholds the whole response. A new operation is thus
 *       covered without anyone remembering to add it.
 *   <li><b>Errors</b> ({@code SERVER_PRE_PROCESS_OUTGOING_EXCEPTION}): a deleted resource answers
 *       404 like one that never existed, so the answer does not tell a patient that it once did.
 * </ol>
 *
 * <p>A care token under Patientdatalagen (a care user's or one care giver's system's) is held the
 * same way, at the same four places, to what {@link CareView} lets it see ({@link PdlRule}): the
 * guard asks a {@link BoundaryView}, and the patient's and care's views answer alike.
 *
 * <p>Rules on what a patient may write are {@link PatientOwnedChangesInterceptor}'s and
 * {@link ScopeInteractionInterceptor}'s; Subscriptions are {@code subscription/}'s.
 */
@Component
@AccessControlEnabled
@Interceptor
class PatientBoundary implements RestInterceptor {

    private static final Logger log = LoggerFactory.getLogger(PatientBoundary.class);

    private static final String HISTORY_PAGE = PatientBoundary.class.getName() + ".historyPage";
    private static final String WITHHELD_MATCHES = PatientBoundary.class.getName() + ".withheldMatches";

    private final FhirContext fhirContext;
    private final DaoRegistry daoRegistry;
    private final StoredSearches storedSearches;
    private final PdlProperties pdl;
    private final DirectoryHsaIds directory;
    private final WeighedPatients memory;

    PatientBoundary(
            FhirContext fhirContext,
            DaoRegistry daoRegistry,
            StoredSearches storedSearches,
            PdlProperties pdl,
            DirectoryHsaIds directory,
            WeighedPatients memory) {
        this.fhirContext = fhirContext;
        this.daoRegistry = daoRegistry;
        this.storedSearches = storedSearches;
        this.pdl = pdl;
        this.directory = directory;
        this.memory = memory;
    }

    @Hook(value = Pointcut.SERVER_INCOMING_REQUEST_POST_PROCESSED, order = HookOrder.ACCESS + 10)
    void beforeHandling(RequestDetails request) {
        Optional<AccessToken> token = AccessToken.of(request);
        if (token.isEmpty()) {
            return; // refused by the authorization rules
        }
        RestOperationTypeEnum operation = request.getRestOperationType();
        requireReadForConditions(
                token.get(),
                request.getResourceName(),
                isConditional(request, operation),
                careView(request, token.get()));
        Optional<BoundaryView> found = view(request, token.get());
        if (found.isEmpty()) {
            return;
        }
        BoundaryView view = found.get();
        switch (operation) {
            case SEARCH_TYPE ->
                request.setParameters(narrowed(view, request.getResourceName(), request.getParameters()));
            case SEARCH_SYSTEM -> throw forbidden(view.who() + " searches one resource type at a time");
            case HISTORY_TYPE, HISTORY_SYSTEM ->
                throw forbidden(view.who() + " reads the history of one resource at a time");
            case GET_PAGE -> checkPage(view, request);
            case EXTENDED_OPERATION_INSTANCE -> {
                // An operation on one resource tells of it as a read would ($validate of a stored
                // contract answered 400 where one that does not exist answers 404).
                if (view instanceof CareView && !view.mayKnowOf(request.getId())) {
                    throw notFound(request.getId());
                }
            }
            default -> {
                // Reads, writes and operations: what they show and store is checked below and by
                // the write rules.
            }
        }
    }

    @Hook(value = Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED, order = HookOrder.ACCESS + 10)
    void beforeBundleEntries(RequestDetails request, RestOperationTypeEnum operation) {
        if ((operation != RestOperationTypeEnum.TRANSACTION && operation != RestOperationTypeEnum.BATCH)
                || !(request.getResource() instanceof Bundle bundle)) {
            return;
        }
        Optional<AccessToken> token = AccessToken.of(request);
        if (token.isEmpty()) {
            return;
        }
        for (BundleEntryComponent entry : bundle.getEntry()) {
            HTTPVerb method = entry.getRequest().getMethod();
            String url = entry.getRequest().getUrl() == null
                    ? ""
                    : entry.getRequest().getUrl();
            UrlUtil.UrlParts parts = UrlUtil.parseUrl(url);
            boolean conditional = entry.getRequest().hasIfNoneExist()
                    || (method != HTTPVerb.GET && method != HTTPVerb.POST && url.contains("?"));
            requireReadForConditions(token.get(), parts.getResourceType(), conditional, careView(request, token.get()));
            Optional<BoundaryView> view = view(request, token.get());
            if (view.isPresent()) {
                checkEntry(view.get(), entry, method, url, parts);
            }
        }
    }

    private void checkEntry(
            BoundaryView view, BundleEntryComponent entry, HTTPVerb method, String url, UrlUtil.UrlParts parts) {
        if (method == null) {
            return; // HAPI refuses an entry without a method
        }
        switch (method) {
            case GET -> {
                String[] path = url.split("\\?", 2)[0].split("/");
                if (parts.getResourceType() == null || path[0].isEmpty() || path[0].startsWith("_")) {
                    throw forbidden(view.who() + " reads one resource type at a time, also in a batch");
                }
                if (path.length > 1 && path[1].equals("_history")) {
                    throw forbidden(view.who() + " reads the history of one resource at a time");
                }
                if (parts.getResourceId() == null && parts.getVersionId() == null) {
                    Map<String, String[]> params = UrlUtil.parseQueryString(parts.getParams());
                    entry.getRequest()
                            .setUrl(parts.getResourceType() + "?"
                                    + queryString(narrowed(view, parts.getResourceType(), params)));
                }
            }
            case POST, DELETE, HEAD -> {
                if (view instanceof PatientView) {
                    throw forbidden("A patient token creates and deletes nothing");
                }
            }
            default -> {
                // PUT and PATCH: the write rules decide.
            }
        }
    }

    @Hook(value = Pointcut.STORAGE_PRESHOW_RESOURCES, order = HookOrder.ACCESS + 10)
    void withholdWhatTheTokenMayNotSee(IPreResourceShowDetails details, RequestDetails request) {
        Optional<BoundaryView> found = AccessToken.of(request).flatMap(token -> view(request, token));
        if (found.isEmpty()) {
            return;
        }
        BoundaryView view = found.get();
        RestOperationTypeEnum operation = request.getRestOperationType();
        // A read answers 404; a history page cannot leave a gap (HAPI's history paging does not
        // skip one), so it fails as a whole, as a read of the resource would.
        boolean wholeOrNothing = operation == RestOperationTypeEnum.READ
                || operation == RestOperationTypeEnum.VREAD
                || operation == RestOperationTypeEnum.HISTORY_INSTANCE
                || request.getUserData().containsKey(HISTORY_PAGE);
        if (view instanceof CareView care) {
            List<IBaseResource> shown = new ArrayList<>();
            for (int i = 0; i < details.size(); i++) {
                shown.add(details.getResource(i));
            }
            care.weighPatientsOf(shown);
        }
        for (int i = 0; i < details.size(); i++) {
            IBaseResource resource = details.getResource(i);
            if (resource == null) {
                continue;
            }
            if (!view.mayRead(resource)) {
                if (wholeOrNothing) {
                    throw notFound(resource.getIdElement());
                }
                details.setResource(i, null);
                request.getUserData().merge(WITHHELD_MATCHES, 1, (a, b) -> (Integer) a + (Integer) b);
            } else if (resource instanceof AuditEvent event && view instanceof PatientView patientView) {
                details.setResource(i, AccessLogForPatients.redact(event, patientView));
            }
        }
    }

    /**
     * A change or delete of what the patient may not see answers as one of what does not exist
     * (404), before any rule says what the patient may not do to it, which would tell it is there.
     */
    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED, order = HookOrder.ACCESS + 5)
    void changeOnlyWhatTheTokenSees(IBaseResource previous, IBaseResource updated, RequestDetails request) {
        refuseWhatTheTokenMayNotChange(previous, request);
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_DELETED, order = HookOrder.ACCESS + 5)
    void deleteOnlyWhatTheTokenSees(IBaseResource resource, RequestDetails request) {
        refuseWhatTheTokenMayNotChange(resource, request);
    }

    private void refuseWhatTheTokenMayNotChange(IBaseResource stored, RequestDetails request) {
        Optional<BoundaryView> view = AccessToken.of(request).flatMap(token -> view(request, token));
        if (view.isPresent() && !view.get().mayRead(stored)) {
            throw notFound(stored.getIdElement());
        }
        if (view.isPresent() && view.get() instanceof CareView care) {
            Optional<String> owner = care.otherCareGiverOwning(stored);
            if (owner.isPresent()) {
                throw new ForbiddenOperationException(
                        stored.getIdElement().toUnqualifiedVersionless().getValue()
                                + " belongs to the records of care giver " + owner.get()
                                + ": under Patientdatalagen another care giver may read them (with the patient's samtycke or"
                                + " by emergency access) but only their own care giver changes or deletes them");
            }
        }
    }

    @Hook(value = Pointcut.SERVER_OUTGOING_RESPONSE, order = HookOrder.ACCESS + 10)
    void checkWhatLeaves(RequestDetails request, ResponseDetails response) {
        Optional<BoundaryView> found = AccessToken.of(request).flatMap(token -> view(request, token));
        if (found.isEmpty() || response.getResponseResource() == null) {
            return;
        }
        BoundaryView view = found.get();
        Optional<String> foreign = foreign(response.getResponseResource(), view);
        if (foreign.isPresent()) {
            log.error(
                    "Withheld a response to {} {}: it held {}, which the token may not see; a rule upstream"
                            + " missed it",
                    request.getRequestType(),
                    request.getCompleteUrl(),
                    foreign.get());
            throw new ForbiddenOperationException("The response held data this token may not see; it was withheld");
        }
        if (response.getResponseResource() instanceof Bundle bundle
                && (request.getUserData().containsKey(WITHHELD_MATCHES)
                        || (view instanceof CareView care && care.weighedOneByOne()))) {
            // Only includes are ever withheld from a narrowed search; should a match be, or a care
            // token's search be weighed match by match, its total would count what the token may
            // not see: no searchset says one, also not one answering a batch entry.
            withoutTotals(bundle);
        }
        if (view instanceof CareView care
                && care.sawBlocked()
                && response.getResponseResource() instanceof Bundle bundle
                && bundle.getType() == Bundle.BundleType.SEARCHSET) {
            bundle.addEntry(BlockedInformation.entry());
        }
    }

    @Hook(value = Pointcut.SERVER_PRE_PROCESS_OUTGOING_EXCEPTION, order = HookOrder.ACCESS + 10)
    BaseServerResponseException goneIsNotFound(RequestDetails request, Throwable exception) {
        if (!(exception instanceof ResourceGoneException) || request.getId() == null) {
            return null;
        }
        Optional<AccessToken> token = AccessToken.of(request);
        if (token.filter(AccessToken::patientToken).isPresent()) {
            return notFound(request.getId());
        }
        Optional<CareView> care = token.flatMap(t -> careView(request, t));
        if (care.isPresent() && !care.get().mayHaveRead(request.getId())) {
            // Deleted data the token could not read answers as data that never was.
            return notFound(request.getId());
        }
        return null;
    }

    private static void withoutTotals(Bundle bundle) {
        if (bundle.getType() == Bundle.BundleType.SEARCHSET) {
            bundle.setTotalElement(null);
        }
        bundle.getEntry().stream()
                .filter(entry -> entry.getResource() instanceof Bundle)
                .forEach(entry -> withoutTotals((Bundle) entry.getResource()));
    }

    /** The first resource or reference in the response that the patient may not see, if any. */
    private Optional<String> foreign(IBaseResource resource, BoundaryView view) {
        if (resource instanceof Bundle bundle) {
            for (BundleEntryComponent entry : bundle.getEntry()) {
                if (entry.hasResource()) {
                    Optional<String> inside = foreign(entry.getResource(), view);
                    if (inside.isPresent()) {
                        return inside;
                    }
                }
                if (entry.hasResponse() && entry.getResponse().hasLocation()) {
                    IdType location = new IdType(entry.getResponse().getLocation());
                    if (location.hasResourceType() && !view.mayKnowOf(location)) {
                        return Optional.of(location.toUnqualifiedVersionless().getValue());
                    }
                }
            }
            return Optional.empty();
        }
        if (resource instanceof Parameters parameters) {
            return parameters.getParameter().stream()
                    .flatMap(PatientBoundary::withParts)
                    .filter(ParametersParameterComponent::hasResource)
                    .map(p -> foreign(p.getResource(), view))
                    .flatMap(Optional::stream)
                    .findFirst();
        }
        if (resource instanceof OperationOutcome) {
            return Optional.empty();
        }
        return view.mayRead(resource)
                ? Optional.empty()
                : Optional.of(resource.getIdElement().toUnqualifiedVersionless().getValue());
    }

    private static Stream<ParametersParameterComponent> withParts(ParametersParameterComponent parameter) {
        return Stream.concat(Stream.of(parameter), parameter.getPart().stream().flatMap(PatientBoundary::withParts));
    }

    /**
     * A page of a stored search: only of a search narrowed for this patient as it would be now, or
     * the history of a resource the patient may see; anything else answers as an unknown page does.
     */
    private void checkPage(BoundaryView view, RequestDetails request) {
        String[] ids = request.getParameters().get(Constants.PARAM_PAGINGACTION);
        String uuid = ids == null || ids.length == 0 ? "" : ids[0];
        Optional<StoredSearches.StoredSearch> search = storedSearches.find(uuid);
        boolean mine = search.map(s -> s.history() ? historyOfVisible(view, s) : narrowedFor(view, s))
                .orElse(false);
        if (!mine) {
            throw new ResourceNotFoundException(
                    Msg.code(970) + "Search ID \"" + uuid + "\" does not exist and may have expired");
        }
        if (search.get().history()) {
            request.getUserData().put(HISTORY_PAGE, Boolean.TRUE);
        }
    }

    private static boolean historyOfVisible(BoundaryView view, StoredSearches.StoredSearch search) {
        return search.resourceType().isPresent()
                && search.resourceId().isPresent()
                && view.mayKnowOf(new IdType(
                        search.resourceType().get(), search.resourceId().get()));
    }

    private boolean narrowedFor(BoundaryView view, StoredSearches.StoredSearch search) {
        if (search.resourceType().isEmpty()) {
            return false;
        }
        Optional<List<BoundaryView.Parameter>> narrowing =
                view.narrowing(search.resourceType().get(), asParameters(search));
        return narrowing.isPresent()
                && narrowing.get().stream().allMatch(parameter -> search.parameters()
                        .getOrDefault(parameter.name(), Set.of())
                        .contains(Set.of(parameter.value().split(","))));
    }

    /** The client's parameters ANDed with the view's narrowing; crossing parameters refused. */
    private static Map<String, String[]> narrowed(BoundaryView view, String type, Map<String, String[]> params) {
        for (String name : params.keySet()) {
            view.refusesParameter(name).ifPresent(why -> {
                throw forbidden(why);
            });
        }
        List<BoundaryView.Parameter> narrowing = view.narrowing(type, params)
                .orElseThrow(() -> forbidden(view.who() + " may not search " + type
                        + (view instanceof CareView
                                ? " across patients: name one patient (patient=Patient/{id})"
                                : "")));
        Map<String, String[]> result = new LinkedHashMap<>(params);
        for (BoundaryView.Parameter parameter : narrowing) {
            String[] existing = result.getOrDefault(parameter.name(), new String[0]);
            if (Arrays.asList(existing).contains(parameter.value())) {
                // The client asked for exactly the narrowing already (AuditEvent?patient=<self>): a
                // second identical AND term changes nothing, and HAPI asserts against it.
                continue;
            }
            String[] and = Arrays.copyOf(existing, existing.length + 1);
            and[existing.length] = parameter.value();
            result.put(parameter.name(), and);
        }
        return result;
    }

    private static String queryString(Map<String, String[]> params) {
        return params.entrySet().stream()
                .flatMap(e -> Arrays.stream(e.getValue()).map(value -> encode(e.getKey()) + "=" + encode(value)))
                .collect(Collectors.joining("&"));
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    /**
     * A conditional request reports what its condition matched (the resource, its id in a
     * {@code Location}, or a refusal because several matched) whatever the caller may read: it
     * needs the right to read the type, and a patient token makes none.
     */
    private static void requireReadForConditions(
            AccessToken token, String type, boolean conditional, Optional<CareView> care) {
        if (!conditional) {
            return;
        }
        if (care.isPresent() && CareView.holdsPatientData(type)) {
            throw forbidden("A care token under Patientdatalagen makes no conditional requests on " + type
                    + ": what they match could be data the token may not read");
        }
        if (token.patientToken()) {
            throw forbidden("A patient token makes no conditional requests (If-None-Exist, or a search in place of"
                    + " an id): what they match would tell of data the patient may not see");
        }
        if (type == null || !token.mayRead(type)) {
            throw forbidden("A conditional request on " + type + " needs a scope that reads " + type
                    + ": the server would otherwise tell what it matched");
        }
    }

    private static boolean isConditional(RequestDetails request, RestOperationTypeEnum operation) {
        if (operation == RestOperationTypeEnum.CREATE) {
            return request.getHeader(Constants.HEADER_IF_NONE_EXIST) != null;
        }
        if (operation == RestOperationTypeEnum.UPDATE
                || operation == RestOperationTypeEnum.DELETE
                || operation == RestOperationTypeEnum.PATCH) {
            return request.getConditionalUrl(operation) != null;
        }
        return false;
    }

    /** The view that holds the token: a patient's, or a care token's under PDL; none for others. */
    private Optional<BoundaryView> view(RequestDetails request, AccessToken token) {
        if (token.patientToken()) {
            String patient = token.patient()
                    .map(IIdType::getIdPart)
                    .orElseThrow(() -> forbidden("A patient token must name its patient"));
            return Optional.of(PatientView.of(request, patient, fhirContext, daoRegistry));
        }
        return careView(request, token).map(BoundaryView.class::cast);
    }

    private Optional<CareView> careView(RequestDetails request, AccessToken token) {
        return CareView.of(request, token, pdl, fhirContext, daoRegistry, directory, memory);
    }

    /** A stored search's parameters as a request would carry them (each AND term's ORs joined). */
    private static Map<String, String[]> asParameters(StoredSearches.StoredSearch search) {
        Map<String, String[]> params = new LinkedHashMap<>();
        search.parameters()
                .forEach((name, and) -> params.put(
                        name, and.stream().map(or -> String.join(",", or)).toArray(String[]::new)));
        return params;
    }

    /** The answer HAPI gives for an id it does not know, word for word. */
    static ResourceNotFoundException notFound(IIdType id) {
        IdType versionless = new IdType(id.getResourceType(), id.getIdPart());
        return new ResourceNotFoundException(Msg.code(2001) + "Resource " + versionless.getValue() + " is not known");
    }

    private static ForbiddenOperationException forbidden(String message) {
        return new ForbiddenOperationException(message);
    }
}
