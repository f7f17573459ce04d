package se.patientkontrakt.fhir.security;

import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.interceptor.auth.AuthorizedList;
import ca.uhn.fhir.rest.server.interceptor.auth.SearchNarrowingInterceptor;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.RestInterceptor;

/**
 * Adds the patient of a patient token to every search it makes ({@code CarePlan?status=active}
 * becomes {@code CarePlan?status=active&subject=Patient/{id}}), so that a patient's search finds
 * their own data instead of being refused for matching someone else's. A convenience only: what a
 * response may hold is still checked by {@link SmartAuthorizationInterceptor}.
 */
@Component
@AccessControlEnabled
@Interceptor
class SmartSearchNarrowingInterceptor extends SearchNarrowingInterceptor implements RestInterceptor {

    @Override
    protected AuthorizedList buildAuthorizedList(RequestDetails request) {
        return AccessToken.current()
                .filter(AccessToken::patientToken)
                .flatMap(AccessToken::patient)
                .map(patient -> new AuthorizedList().addCompartment(patient.getValue()))
                .orElse(null);
    }
}
