package se.patientkontrakt.fhir.security;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import java.util.List;
import java.util.Optional;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.RestInterceptor;

/**
 * Refuses a malformed {@link PdlDeclaration} before the request reaches any data: a declaration
 * without a reason, sent twice, or too long; or one made by a token that is not a person in care
 * (a patient, a system, a region-wide client), since only a person can be in a care relationship
 * or take emergency access. 400, with the header named in the OperationOutcome's {@code location}.
 */
@Component
@AccessControlEnabled
@Interceptor
class PdlDeclarationInterceptor implements RestInterceptor {

    @Hook(value = Pointcut.SERVER_INCOMING_REQUEST_POST_PROCESSED, order = HookOrder.ACCESS + 5)
    void refuseMalformedDeclarations(RequestDetails request) {
        List<PdlDeclaration> declarations = PdlDeclaration.of(request);
        if (declarations.isEmpty()) {
            return;
        }
        Optional<AccessToken> token = AccessToken.of(request);
        boolean person = token.filter(t -> !t.patientToken() && !t.regionWide())
                .flatMap(AccessToken::commission)
                .flatMap(Commission::employee)
                .isPresent();
        if (!person) {
            PdlDeclaration.Kind kind = declarations.get(0).kind();
            throw PdlDeclaration.invalid(
                    kind,
                    kind.header() + " is declared by a person in care, whose token names their commission"
                            + " (medarbetaruppdrag); "
                            + token.map(PdlDeclarationInterceptor::whoItIs).orElse("this request has no token"));
        }
        PdlDeclaration.accept(request, declarations);
    }

    private static String whoItIs(AccessToken token) {
        if (token.patientToken()) {
            return "a patient's token may not send it";
        }
        return token.regionWide() || token.commission().isPresent()
                ? "a system's token may not send it"
                : "this token names no commission";
    }
}
