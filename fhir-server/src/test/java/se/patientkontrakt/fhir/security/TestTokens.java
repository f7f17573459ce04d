package se.patientkontrakt.fhir.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * Tokens as the test identity provider would issue them: signed with the private half of the key
 * pair in {@code src/test/resources/auth/} (the server trusts the public half), for this server's
 * audience, valid for thirty minutes (a class keeps its tokens for all its tests, and a slow
 * machine may take minutes to start the server). Each builder step returns a new token description.
 */
public final class TestTokens {

    public static final String ISSUER = "https://idp.test.patientkontrakt.se/realms/region";
    public static final String AUDIENCE = "patientkontrakt-fhir";
    public static final String CLIENT = "portal-1177-test";

    private static final PrivateKey ISSUER_KEY = readPrivateKey("auth/issuer-private-key.pem");

    private TestTokens() {}

    /** A valid token with these claims added to the defaults (issuer, audience, subject, expiry). */
    public static String token(UnaryOperator<JWTClaimsSet.Builder> claims) {
        return sign(claims.apply(defaults()).build(), ISSUER_KEY);
    }

    public static String patient(String patientId, String scope) {
        return token(c -> c.subject("patient-" + patientId)
                .claim("patient", patientId.replace("Patient/", ""))
                .claim("fhirUser", "https://fhir.test.patientkontrakt.se/fhir/" + patientId)
                .claim("scope", "openid fhirUser launch/patient " + scope));
    }

    /** The region's care giver in the examples, Region Kalmar län, and two of its units. */
    public static final String REGION_KALMAR = "SE2321000073";

    public static final String ORTOPEDKLINIKEN_OSKARSHAMN = "SE2321000073-ORTO01";
    public static final String VARDCENTRALEN_OSKARSHAMN = "SE2321000073-VCOS01";

    /** Erik Holm, orthopaedist at Ortopedkliniken Oskarshamn (Region Kalmar län). */
    public static final String ERIK_HOLM = "SE2321000073-E00101";

    public static String practitioner(String scope) {
        return token(c -> commission(c.subject("hsa-" + ERIK_HOLM)
                .claim("fhirUser", "Practitioner/erik-holm")
                .claim("scope", "openid fhirUser " + scope)));
    }

    /** The EHR integration of Vårdcentralen Oskarshamn (Region Kalmar län). */
    public static String system(String scope) {
        return token(c ->
                unit(c.subject("ehr-integration").claim("azp", "cosmic-ehr").claim("scope", scope)));
    }

    /**
     * The region's follow-up: a region-wide client ({@code patientkontrakt.pdl.region-wide-clients}
     * in {@link SecuredFhirIT}), which carries no commission.
     */
    public static String regionWide(String scope) {
        return token(
                c -> c.subject("uppfoljning").claim("azp", "region-follow-up").claim("scope", scope));
    }

    /**
     * The commission (medarbetaruppdrag) of Erik Holm at Ortopedkliniken Oskarshamn, for care: his
     * HSA-id, the unit, the care giver and the purpose, in the claims Inera's identity provider uses.
     */
    public static JWTClaimsSet.Builder commission(JWTClaimsSet.Builder claims) {
        return claims.claim("employeeHsaId", ERIK_HOLM)
                .claim("healthCareUnitHsaId", ORTOPEDKLINIKEN_OSKARSHAMN)
                .claim("healthCareProviderHsaId", REGION_KALMAR)
                .claim("commissionPurpose", "Vård och behandling");
    }

    /** The unit a system token works for: Vårdcentralen Oskarshamn, of Region Kalmar län. */
    public static JWTClaimsSet.Builder unit(JWTClaimsSet.Builder claims) {
        return claims.claim("healthCareUnitHsaId", VARDCENTRALEN_OSKARSHAMN)
                .claim("healthCareProviderHsaId", REGION_KALMAR);
    }

    public static JWTClaimsSet.Builder defaults() {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .subject("someone")
                .claim("azp", CLIENT)
                .jwtID(UUID.randomUUID().toString())
                .issueTime(Date.from(now))
                // A class may hold a token for its whole run, which on a busy 2-core machine has
                // taken over half an hour (BoundaryEnumerationIT); expiry is tested on its own.
                .expirationTime(Date.from(now.plus(Duration.ofHours(3))));
    }

    public static String sign(JWTClaimsSet claims, PrivateKey key) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).build(), claims);
            jwt.sign(new RSASSASigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The same claims, unsigned ({@code alg: none}). */
    static String unsigned(JWTClaimsSet claims) {
        return new PlainJWT(claims).serialize();
    }

    /** A key the server has never seen. */
    static PrivateKey otherKey() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair().getPrivate();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static PrivateKey issuerKey() {
        return ISSUER_KEY;
    }

    private static PrivateKey readPrivateKey(String resource) {
        try (InputStream in = TestTokens.class.getClassLoader().getResourceAsStream(resource)) {
            String pem = new String(in.readAllBytes(), StandardCharsets.US_ASCII)
                    .replaceAll("-----[A-Z ]+-----", "")
                    .replaceAll("\\s", "");
            return KeyFactory.getInstance("RSA")
                    .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
