package se.patientkontrakt.fhir.security;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.IPreResourceShowDetails;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.util.UrlUtil;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.BundleEntryComponent;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.RestInterceptor;

/**
 * A region's target groups ({@code Group}, profile {@code pk-malgrupp}) are its region-wide clients'
 * ({@code patientkontrakt.pdl.region-wide-clients}) alone, whatever other tokens' scopes say. A
 * member list tells of every patient on it and is no care unit's record, while Patientdatalagen's
 * rules weigh one patient's data at a time ({@link CareView}); and a patient reads no one's list,
 * also not one that names them. A request naming such a type (its path, {@code _type}, or an entry
 * of a batch or transaction) is refused with 403 before anything is read, so that the answer is the
 * same whether the group exists or not.
 *
 * <p>Hooks {@code SERVER_INCOMING_REQUEST_POST_PROCESSED} and, for Bundle entries,
 * {@code SERVER_INCOMING_REQUEST_PRE_HANDLED}; what storage would show without the request naming
 * the type (a Group an {@code _revinclude} brings) is left out at {@code STORAGE_PRESHOW_RESOURCES},
 * as an include the token may not see is. {@link SmartAuthorizationInterceptor} denies writes of
 * the type too, and {@link CareView} and {@link PatientView} never read it.
 */
@Component
@AccessControlEnabled
@Interceptor
class RegionWideTypesInterceptor implements RestInterceptor {

    private final FhirContext fhirContext;

    RegionWideTypesInterceptor(FhirContext fhirContext) {
        this.fhirContext = fhirContext;
    }

    @Hook(value = Pointcut.SERVER_INCOMING_REQUEST_POST_PROCESSED, order = HookOrder.ACCESS + 8)
    void beforeHandling(RequestDetails request) {
        Optional<AccessToken> token = AccessToken.of(request);
        if (token.isEmpty() || token.get().regionWide()) {
            return;
        }
        String[] types = request.getParameters().getOrDefault(Constants.PARAM_TYPE, new String[0]);
        Stream.concat(
                        Stream.ofNullable(request.getResourceName()),
                        Arrays.stream(types).flatMap(t -> Arrays.stream(t.split(","))))
                .map(String::trim)
                .filter(SmartAuthorizationInterceptor.REGION_WIDE_TYPES::contains)
                .findFirst()
                .ifPresent(type -> {
                    throw refused(token.get(), type);
                });
    }

    @Hook(value = Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED, order = HookOrder.ACCESS + 5)
    void beforeBundleEntries(RequestDetails request, RestOperationTypeEnum operation) {
        if ((operation != RestOperationTypeEnum.TRANSACTION && operation != RestOperationTypeEnum.BATCH)
                || !(request.getResource() instanceof Bundle bundle)) {
            return;
        }
        Optional<AccessToken> token = AccessToken.of(request);
        if (token.isEmpty() || token.get().regionWide()) {
            return;
        }
        for (BundleEntryComponent entry : bundle.getEntry()) {
            String url = entry.getRequest().getUrl() == null
                    ? ""
                    : entry.getRequest().getUrl();
            String type = UrlUtil.parseUrl(url).getResourceType();
            if (type != null && SmartAuthorizationInterceptor.REGION_WIDE_TYPES.contains(type)) {
                throw refused(token.get(), type);
            }
            if (entry.hasResource()
                    && SmartAuthorizationInterceptor.REGION_WIDE_TYPES.contains(
                            entry.getResource().fhirType())) {
                throw refused(token.get(), entry.getResource().fhirType());
            }
        }
    }

    @Hook(value = Pointcut.STORAGE_PRESHOW_RESOURCES, order = HookOrder.ACCESS + 8)
    void leaveOutWhatWasNotNamed(IPreResourceShowDetails details, RequestDetails request) {
        Optional<AccessToken> token = AccessToken.of(request);
        if (token.isEmpty() || token.get().regionWide()) {
            return;
        }
        for (int i = 0; i < details.size(); i++) {
            if (details.getResource(i) != null
                    && SmartAuthorizationInterceptor.REGION_WIDE_TYPES.contains(
                            fhirContext.getResourceType(details.getResource(i)))) {
                details.setResource(i, null);
            }
        }
    }

    private static ForbiddenOperationException refused(AccessToken token, String type) {
        String who = token.patientToken() ? "A patient token" : "A care token";
        return new ForbiddenOperationException(who + " reads and writes no " + type + ": a region's target groups"
                + " (pk-malgrupp) list many patients, and only the region's region-wide clients"
                + " (patientkontrakt.pdl.region-wide-clients) read or write them");
    }
}
