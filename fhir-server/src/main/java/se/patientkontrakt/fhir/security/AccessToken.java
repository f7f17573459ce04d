package se.patientkontrakt.fhir.security;

import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.stream.Collectors;
import org.hl7.fhir.r4.model.IdType;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;
import org.springframework.security.web.context.RequestAttributeSecurityContextRepository;
import se.patientkontrakt.fhir.security.SmartScope.Context;
import se.patientkontrakt.fhir.security.SmartScope.Interaction;

/**
 * Who is calling, as the validated bearer token says: the subject, the client (application) that
 * holds the token, the patient the token is limited to, and the SMART scopes it grants. The claims
 * were checked when the token was accepted ({@link TokenClaims}): a subject is always there, and a
 * patient, when named, is one Patient this server holds.
 *
 * <p>A token is a <em>patient token</em> when it names a patient (the SMART launch-context claim
 * {@code patient}, or {@code fhirUser} pointing at a Patient) or carries any {@code patient/} scope.
 * A patient token is held to that patient's data whatever the prefix of its other scopes says: a
 * patient is never a practitioner by asking for {@code user/} scopes.
 *
 * @param issuer the token's {@code iss}
 * @param subject the token's {@code sub}
 * @param clientId the client the token was issued to ({@code azp} or {@code client_id}), if given
 * @param fhirUser the {@code fhirUser} claim (a Practitioner, PractitionerRole, Patient ... URL), if given
 * @param patient {@code Patient/{id}} for a patient token
 * @param patientToken whether the token is held to one patient's data
 * @param scopes the SMART resource scopes the token carries
 * @param commission the commission (medarbetaruppdrag) a care token acts under, if it names one
 * @param regionWide whether the token is a region-wide client's ({@link PdlProperties#regionWideClients})
 */
public record AccessToken(
        String issuer,
        String subject,
        Optional<String> clientId,
        Optional<String> fhirUser,
        Optional<IdType> patient,
        boolean patientToken,
        List<SmartScope> scopes,
        Optional<Commission> commission,
        boolean regionWide) {

    private static final String KEY = AccessToken.class.getName();
    private static final Object NONE = new Object();

    /** The {@code fhirUser} as a relative reference ({@code Practitioner/123}), if it names one. */
    public Optional<String> fhirUserReference() {
        return fhirUser.map(TokenClaims.FHIR_USER::matcher)
                .filter(Matcher::find)
                .map(m -> m.group(1) + "/" + m.group(2));
    }

    static AccessToken from(Jwt jwt, PdlProperties pdl) {
        Map<String, Object> claims = jwt.getClaims();
        Optional<String> fhirUser = Optional.ofNullable(claims.get("fhirUser"))
                .filter(String.class::isInstance)
                .map(String.class::cast);
        Optional<IdType> patient = Optional.ofNullable(claims.get("patient"))
                .filter(String.class::isInstance)
                .map(String.class::cast)
                .map(id -> id.startsWith("Patient/") ? id.substring("Patient/".length()) : id)
                .filter(id -> TokenClaims.ID.matcher(id).matches())
                .or(() -> fhirUser.map(TokenClaims.PATIENT_REFERENCE::matcher)
                        .filter(Matcher::find)
                        .map(m -> m.group(1)))
                .map(id -> new IdType("Patient", id));
        List<SmartScope> scopes = SmartScope.parseAll(scopeClaim(claims));
        boolean patientToken = patient.isPresent() || scopes.stream().anyMatch(s -> s.context() == Context.PATIENT);
        Optional<String> clientId = Optional.ofNullable(jwt.getClaimAsString("azp"))
                .or(() -> Optional.ofNullable(jwt.getClaimAsString("client_id")));
        String issuer = jwt.getIssuer() == null ? "" : jwt.getIssuer().toString();
        Optional<Commission> commission = patientToken ? Optional.empty() : Commission.from(claims, pdl.claims());
        boolean regionWide = !patientToken
                && clientId.filter(pdl.regionWideClients()::contains).isPresent();
        return new AccessToken(
                issuer, jwt.getSubject(), clientId, fhirUser, patient, patientToken, scopes, commission, regionWide);
    }

    /**
     * The token of the request being served, if it came with one. Found once per request and kept
     * with it, so the entries of a batch or transaction Bundle (sub-requests that share the
     * request's data, possibly on other threads) have the same caller as the request itself.
     */
    public static Optional<AccessToken> of(RequestDetails request) {
        if (request == null) {
            return Optional.empty();
        }
        Object known = request.getUserData().get(KEY);
        if (known == null) {
            known = fromServletRequest(request).<Object>map(token -> token).orElse(NONE);
            request.getUserData().put(KEY, known);
        }
        return known instanceof AccessToken token ? Optional.of(token) : Optional.empty();
    }

    /**
     * Spring Security keeps the authentication of a bearer-token request as a request attribute
     * (and on the thread that runs its filters); the attribute is read first, since the thread may
     * not be the one that authenticated the request.
     */
    private static Optional<AccessToken> fromServletRequest(RequestDetails request) {
        Authentication authentication = null;
        if (request instanceof ServletRequestDetails servlet && servlet.getServletRequest() != null) {
            HttpServletRequest http = servlet.getServletRequest();
            if (http.getAttribute(RequestAttributeSecurityContextRepository.DEFAULT_REQUEST_ATTR_NAME)
                    instanceof SecurityContext context) {
                authentication = context.getAuthentication();
            }
        }
        if (authentication == null && request instanceof ServletRequestDetails) {
            authentication = SecurityContextHolder.getContext().getAuthentication();
        }
        if (authentication instanceof Caller caller) {
            return Optional.of(caller.token());
        }
        return authentication instanceof JwtAuthenticationToken jwt
                ? Optional.of(from(jwt.getToken(), PdlProperties.defaults()))
                : Optional.empty();
    }

    /** {@code scope} as a space-separated string (RFC 8693, SMART) or {@code scp} as a list. */
    static Collection<String> scopeClaim(Map<String, Object> claims) {
        Object scope = claims.get("scope");
        if (scope == null) {
            scope = claims.get("scp");
        }
        if (scope instanceof String text) {
            return List.of(text.trim().split("\\s+"));
        }
        if (scope instanceof Collection<?> list) {
            return list.stream().map(String::valueOf).toList();
        }
        return List.of();
    }

    /**
     * Whether any scope grants the interaction on the type; a region's target groups only ever to
     * a region-wide client ({@link SmartAuthorizationInterceptor#REGION_WIDE_TYPES}).
     */
    boolean allows(String resourceType, Interaction interaction) {
        if (!regionWide
                && resourceType != null
                && SmartAuthorizationInterceptor.REGION_WIDE_TYPES.contains(resourceType)) {
            return false;
        }
        return scopes.stream().anyMatch(s -> s.covers(resourceType) && s.grants(interaction));
    }

    /** Whether the token may read (or search) resources of the type. */
    public boolean mayRead(String resourceType) {
        return allows(resourceType, Interaction.READ) || allows(resourceType, Interaction.SEARCH);
    }

    /**
     * Whether the token is a system's (client credentials): it carries resource scopes, each
     * {@code system/}, and names no person and no patient.
     */
    public boolean systemOnly() {
        return !patientToken
                && fhirUser.isEmpty()
                && !scopes.isEmpty()
                && scopes.stream().allMatch(s -> s.context() == Context.SYSTEM);
    }

    /** Who the token is, as {@code {issuer}|{subject}}: the same person or system across its tokens. */
    public String owner() {
        return issuer + "|" + subject;
    }

    /** The resource types (or {@code *}) on which some scope grants the interaction. */
    Set<String> typesAllowing(Interaction interaction) {
        return scopes.stream()
                .filter(s -> s.grants(interaction))
                .map(SmartScope::resourceType)
                .collect(Collectors.toSet());
    }

    /**
     * The authentication of a request with an accepted bearer token: the JWT, read once into the
     * {@link AccessToken} with the configured claim names.
     */
    static final class Caller extends JwtAuthenticationToken {

        private final transient AccessToken token;

        Caller(Jwt jwt, PdlProperties pdl) {
            super(jwt, List.of(), jwt.getSubject());
            this.token = from(jwt, pdl);
        }

        AccessToken token() {
            return token;
        }
    }
}
