package se.patientkontrakt.fhir.security;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.IdType;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;
import se.patientkontrakt.fhir.security.SmartScope.Context;
import se.patientkontrakt.fhir.security.SmartScope.Interaction;

/**
 * Who is calling, as the validated bearer token says: the subject, the client (application) that
 * holds the token, the patient the token is limited to, and the SMART scopes it grants.
 *
 * <p>A token is a <em>patient token</em> when it names a patient (the SMART launch-context claim
 * {@code patient}, or {@code fhirUser} pointing at a Patient) or carries any {@code patient/} scope.
 * A patient token is held to that patient's compartment whatever the prefix of its other scopes
 * says: a patient is never a practitioner by asking for {@code user/} scopes.
 *
 * @param issuer the token's {@code iss}
 * @param subject the token's {@code sub}
 * @param clientId the client the token was issued to ({@code azp} or {@code client_id}), if given
 * @param fhirUser the {@code fhirUser} claim (a Practitioner, PractitionerRole, Patient ... URL), if given
 * @param patient {@code Patient/{id}} for a patient token that names its patient
 * @param patientToken whether the token is held to one patient's compartment
 * @param scopes the SMART resource scopes the token carries
 */
public record AccessToken(
        String issuer,
        String subject,
        Optional<String> clientId,
        Optional<String> fhirUser,
        Optional<IdType> patient,
        boolean patientToken,
        List<SmartScope> scopes) {

    /** The {@code fhirUser} as a relative reference ({@code Practitioner/123}), if it names one. */
    public Optional<String> fhirUserReference() {
        return fhirUser.map(FHIR_USER::matcher).filter(Matcher::find).map(m -> m.group(1) + "/" + m.group(2));
    }

    private static final Pattern PATIENT_REFERENCE = Pattern.compile("(?:^|/)Patient/([A-Za-z0-9\\-.]{1,64})$");
    private static final Pattern FHIR_USER = Pattern.compile(
            "(?:^|/)(Patient|Practitioner|PractitionerRole|RelatedPerson|Person|Device)/([A-Za-z0-9\\-.]{1,64})$");
    private static final Pattern PATIENT_ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");

    static AccessToken from(Jwt jwt) {
        Optional<String> fhirUser = Optional.ofNullable(jwt.getClaimAsString("fhirUser"));
        Optional<IdType> patient = Optional.ofNullable(jwt.getClaimAsString("patient"))
                .map(id -> id.startsWith("Patient/") ? id.substring("Patient/".length()) : id)
                .filter(id -> PATIENT_ID.matcher(id).matches())
                .or(() -> fhirUser.map(PATIENT_REFERENCE::matcher)
                        .filter(Matcher::find)
                        .map(m -> m.group(1)))
                .map(id -> new IdType("Patient", id));
        List<SmartScope> scopes = SmartScope.parseAll(scopeClaim(jwt));
        boolean patientToken = patient.isPresent() || scopes.stream().anyMatch(s -> s.context() == Context.PATIENT);
        Optional<String> clientId = Optional.ofNullable(jwt.getClaimAsString("azp"))
                .or(() -> Optional.ofNullable(jwt.getClaimAsString("client_id")));
        String issuer = jwt.getIssuer() == null ? "" : jwt.getIssuer().toString();
        return new AccessToken(issuer, jwt.getSubject(), clientId, fhirUser, patient, patientToken, scopes);
    }

    /** The token of the request being served, if it came with one. */
    public static Optional<AccessToken> current() {
        Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
        if (authentication instanceof JwtAuthenticationToken jwt) {
            return Optional.of(from(jwt.getToken()));
        }
        return Optional.empty();
    }

    /** {@code scope} as a space-separated string (RFC 8693, SMART) or {@code scp} as a list. */
    private static Collection<String> scopeClaim(Jwt jwt) {
        Object scope = jwt.getClaims().get("scope");
        if (scope instanceof String text) {
            return List.of(text.trim().split("\\s+"));
        }
        if (scope instanceof Collection<?> list) {
            return list.stream().map(String::valueOf).toList();
        }
        List<String> scp = jwt.getClaimAsStringList("scp");
        return scp == null ? List.of() : scp;
    }

    /** Whether any scope grants the interaction on the type. */
    boolean allows(String resourceType, Interaction interaction) {
        return scopes.stream().anyMatch(s -> s.covers(resourceType) && s.grants(interaction));
    }

    /** The resource types (or {@code *}) on which some scope grants the interaction. */
    Set<String> typesAllowing(Interaction interaction) {
        return scopes.stream()
                .filter(s -> s.grants(interaction))
                .map(SmartScope::resourceType)
                .collect(java.util.stream.Collectors.toSet());
    }
}
