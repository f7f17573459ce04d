package se.patientkontrakt.fhir.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;

/**
 * Tokens signed with key ids the identity provider never issued make the server fetch the
 * provider's keys at most once a minute, however many arrive: otherwise every forged token would
 * be a request to the identity provider, on the attacker's behalf.
 */
class KeyFetchLimitTest {

    private HttpServer identityProvider;
    private final AtomicInteger fetches = new AtomicInteger();
    private RSAKey signingKey;

    @BeforeEach
    void anIdentityProviderThatCountsKeyFetches() throws Exception {
        signingKey = new RSAKeyGenerator(2048).keyID("the-real-key").generate();
        byte[] keys = new JWKSet(signingKey.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
        identityProvider = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        identityProvider.createContext("/keys", exchange -> {
            fetches.incrementAndGet();
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, keys.length);
            exchange.getResponseBody().write(keys);
            exchange.close();
        });
        identityProvider.start();
    }

    @AfterEach
    void stop() {
        identityProvider.stop(0);
    }

    @Test
    void unknownKeyIdsFetchTheKeysAtMostOnceAMinute() throws Exception {
        JwtDecoder decoder = SecurityConfig.remoteKeys(
                new URL("http://127.0.0.1:" + identityProvider.getAddress().getPort() + "/keys"),
                Set.of(JWSAlgorithm.RS256));

        assertThat(decoder.decode(token(signingKey, "the-real-key")).getSubject())
                .isEqualTo("someone");
        int afterTheFirst = fetches.get();
        for (int i = 0; i < 20; i++) {
            String forged = token(new RSAKeyGenerator(2048).generate(), "made-up-" + UUID.randomUUID());
            assertThrows(JwtException.class, () -> decoder.decode(forged));
        }

        assertThat(afterTheFirst).isEqualTo(1);
        assertThat(fetches.get()).as("key fetches for 20 unknown key ids").isLessThanOrEqualTo(2);
        assertThat(decoder.decode(token(signingKey, "the-real-key")).getSubject())
                .isEqualTo("someone");
    }

    private static String token(RSAKey key, String keyId) throws JOSEException {
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(keyId).build(),
                new JWTClaimsSet.Builder()
                        .subject("someone")
                        .expirationTime(Date.from(Instant.now().plusSeconds(300)))
                        .build());
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }
}
