package se.patientkontrakt.fhir.security;

import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidatorResult;
import org.springframework.security.oauth2.jwt.Jwt;

/**
 * The claims that say who a token is for, checked before the token is accepted, so that a token
 * that could be read two ways is refused ({@code 401}) rather than read the wider way:
 *
 * <ul>
 *   <li>{@code sub} is required: every access is logged under it;
 *   <li>{@code patient}, when present, is one Patient id as a string ({@code goran-karlsson} or
 *       {@code Patient/goran-karlsson}) of a Patient this server holds: not a list, not a URL, not
 *       empty, not unknown;
 *   <li>{@code fhirUser}, when present, is one string; if it names a Patient it is the same patient
 *       as {@code patient}, and a {@code patient} claim beside a {@code fhirUser} that names a
 *       practitioner is refused (a practitioner in a patient's launch context is not supported);
 *   <li>a token with {@code patient/} scopes names its patient ({@code patient} or a Patient
 *       {@code fhirUser});
 *   <li>with PDL rules on ({@link PdlProperties}), every other token acts under a commission
 *       ({@link Commission}): a person's token ({@code user/} scopes or a {@code fhirUser}) names
 *       their HSA-id, the care unit, the care giver and the purpose; a system's token the care unit
 *       and care giver. Only a region-wide client ({@link PdlProperties#regionWideClients}) needs
 *       none, and a patient's token may carry none (a token is either a patient's or care's).
 * </ul>
 *
 * Only what it says no to is described in the refusal; the token's contents are never repeated.
 */
final class TokenClaims implements OAuth2TokenValidator<Jwt> {

    static final Pattern ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");
    private static final Pattern PATIENT_CLAIM = Pattern.compile("(?:Patient/)?([A-Za-z0-9\\-.]{1,64})");
    static final Pattern PATIENT_REFERENCE = Pattern.compile("(?:^|/)Patient/([A-Za-z0-9\\-.]{1,64})$");
    static final Pattern FHIR_USER = Pattern.compile(
            "(?:^|/)(Patient|Practitioner|PractitionerRole|RelatedPerson|Person|Device)/([A-Za-z0-9\\-.]{1,64})$");

    private final Predicate<String> patientExists;
    private final PdlProperties pdl;

    /**
     * @param patientExists whether this server holds a (not deleted) Patient with the given id
     * @param pdl whether care tokens need a commission, and the claims that carry it
     */
    TokenClaims(Predicate<String> patientExists, PdlProperties pdl) {
        this.patientExists = patientExists;
        this.pdl = pdl;
    }

    @Override
    public OAuth2TokenValidatorResult validate(Jwt jwt) {
        return problem(jwt.getClaims())
                .map(description -> OAuth2TokenValidatorResult.failure(
                        new OAuth2Error(OAuth2ErrorCodes.INVALID_TOKEN, description, null)))
                .orElseGet(OAuth2TokenValidatorResult::success);
    }

    Optional<String> problem(Map<String, Object> claims) {
        if (!(claims.get("sub") instanceof String subject) || subject.isBlank()) {
            return Optional.of("The token has no subject ('sub'): every access is logged under it");
        }
        Object fhirUserClaim = claims.get("fhirUser");
        if (fhirUserClaim != null && !(fhirUserClaim instanceof String)) {
            return Optional.of("The token's 'fhirUser' must be one reference, as a string");
        }
        String fhirUser = (String) fhirUserClaim;
        Optional<String> fhirUserPatient = Optional.ofNullable(fhirUser)
                .map(PATIENT_REFERENCE::matcher)
                .filter(Matcher::find)
                .map(m -> m.group(1));
        Object patientClaim = claims.get("patient");
        Optional<String> patient = Optional.empty();
        if (patientClaim != null) {
            Matcher matcher = patientClaim instanceof String text ? PATIENT_CLAIM.matcher(text) : null;
            if (matcher == null || !matcher.matches()) {
                return Optional.of("The token's 'patient' must be one Patient id, as a string");
            }
            patient = Optional.of(matcher.group(1));
            if (fhirUser != null && fhirUserPatient.isEmpty()) {
                return Optional.of("The token names a patient ('patient') and a user who is not that patient"
                        + " ('fhirUser'); a token is either a patient's or care's");
            }
            if (fhirUserPatient.isPresent() && !fhirUserPatient.get().equals(patient.get())) {
                return Optional.of("The token's 'patient' and 'fhirUser' name different patients");
            }
        }
        Optional<String> named = patient.or(() -> fhirUserPatient);
        if (named.isEmpty() && hasPatientScope(claims)) {
            return Optional.of(
                    "The token has patient/ scopes but names no patient ('patient' or a Patient 'fhirUser')");
        }
        if (named.isPresent() && !patientExists.test(named.get())) {
            return Optional.of("The token's patient is not a patient of this server");
        }
        return commissionProblem(claims, named.isPresent() || hasPatientScope(claims), fhirUser);
    }

    private Optional<String> commissionProblem(Map<String, Object> claims, boolean patientToken, String fhirUser) {
        if (!pdl.enabled()) {
            return Optional.empty();
        }
        PdlProperties.Claims names = pdl.claims();
        boolean carriesCommission = claims.containsKey(names.unit()) || claims.containsKey(names.careGiver());
        if (patientToken) {
            return carriesCommission
                    ? Optional.of("The token names a patient and a care commission; a token is either a patient's or"
                            + " care's")
                    : Optional.empty();
        }
        Object client = claims.getOrDefault("azp", claims.get("client_id"));
        if (client instanceof String id && pdl.regionWideClients().contains(id) && !carriesCommission) {
            return Optional.empty();
        }
        boolean person = fhirUser != null
                || AccessToken.scopeClaim(claims).stream().anyMatch(scope -> scope.startsWith("user/"));
        return Commission.problem(claims, names, person);
    }

    private static boolean hasPatientScope(Map<String, Object> claims) {
        return AccessToken.scopeClaim(claims).stream().anyMatch(scope -> scope.startsWith("patient/"));
    }
}
