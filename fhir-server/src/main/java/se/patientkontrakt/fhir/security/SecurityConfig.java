package se.patientkontrakt.fhir.security;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.URL;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.security.oauth2.resource.OAuth2ResourceServerProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.io.Resource;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jose.jws.SignatureAlgorithm;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtClaimValidator;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtValidators;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.jwt.SupplierJwtDecoder;
import org.springframework.security.oauth2.server.resource.web.BearerTokenAuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.AccessDeniedHandler;
import se.patientkontrakt.fhir.server.OperationOutcomeWriter;

/**
 * Who may call at all. With {@code spring.security.oauth2.resourceserver.jwt.issuer-uri} set,
 * every FHIR request needs a bearer JWT from that issuer: signed with one of its keys (its JWK set,
 * or a configured public key), not expired, for one of the configured audiences; otherwise
 * {@code 401} with a {@code WWW-Authenticate} header (RFC 6750) and an OperationOutcome. Only the
 * CapabilityStatement, {@code .well-known/smart-configuration}, the OpenAPI description and the
 * health probes stay open. What a valid token may then see is decided inside the FHIR server
 * ({@link SmartAuthorizationInterceptor}).
 *
 * <p>Without an issuer the server is open, for local use: it listens on loopback only
 * ({@link LoopbackWhenOpen}), logs a warning, and refuses to start on another address unless
 * {@code patientkontrakt.security.allow-anonymous=true}.
 */
@Configuration
class SecurityConfig {

    private static final Logger log = LoggerFactory.getLogger(SecurityConfig.class);

    /** Bearer tokens refused with 401, by reason. */
    static final String REFUSED_TOKENS = "patientkontrakt.tokens.refused";

    /** How often, at most, the issuer's keys are fetched again for a key id not known yet. */
    static final Duration KEY_REFETCH_LIMIT = Duration.ofMinutes(1);

    /**
     * Paths that describe the server or hold no patient data: the pages and their scripts are
     * public too, since they fetch every datum through {@code /fhir} with the user's own token.
     */
    private static final String[] PUBLIC_PATHS = {
        "/",
        "/index.html",
        "/favicon.ico",
        "/sidor/**",
        "/mitt-patientkontrakt/**",
        "/arbetslista/**",
        "/fhir/metadata",
        "/fhir/.well-known/smart-configuration",
        "/.well-known/smart-configuration",
        "/fhir/api-docs",
        "/fhir/swagger-ui/**",
        "/actuator/health/**",
        "/actuator/info",
        "/error"
    };

    @Bean
    SecurityFilterChain securityFilterChain(
            HttpSecurity http,
            Environment environment,
            AccessControlProperties properties,
            OAuth2ResourceServerProperties resourceServer,
            FhirContext fhirContext,
            PdlProperties pdl,
            ObjectProvider<MeterRegistry> meters)
            throws Exception {
        http.csrf(AbstractHttpConfigurer::disable)
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .requestCache(AbstractHttpConfigurer::disable)
                .formLogin(AbstractHttpConfigurer::disable)
                .httpBasic(AbstractHttpConfigurer::disable)
                .logout(AbstractHttpConfigurer::disable);
        String issuer = resourceServer.getJwt().getIssuerUri();
        if (issuer == null || issuer.isBlank()) {
            checkOpenServerMayListen(environment.getProperty("server.address"), properties.allowAnonymous());
            // As without access control: no security headers that would change what clients see.
            return http.headers(AbstractHttpConfigurer::disable)
                    .authorizeHttpRequests(a -> a.anyRequest().permitAll())
                    .build();
        }
        OperationOutcomeWriter outcomes = new OperationOutcomeWriter(fhirContext);
        BearerTokenAuthenticationEntryPoint bearer = new BearerTokenAuthenticationEntryPoint();
        bearer.setRealmName("patientkontrakt");
        return http.authorizeHttpRequests(a -> a.requestMatchers(HttpMethod.OPTIONS, "/**")
                        .permitAll()
                        .requestMatchers(PUBLIC_PATHS)
                        .permitAll()
                        .anyRequest()
                        .authenticated())
                .oauth2ResourceServer(
                        o -> o.jwt(jwt -> jwt.jwtAuthenticationConverter(token -> new AccessToken.Caller(token, pdl)))
                                .authenticationEntryPoint((request, response, exception) -> {
                                    bearer.commence(request, response, exception);
                                    boolean noToken = request.getHeader("Authorization") == null;
                                    refused(meters, request, noToken ? "missing" : "invalid", exception.getMessage());
                                    outcomes.write(
                                            response,
                                            IssueType.LOGIN,
                                            noToken
                                                    ? "This server needs a bearer token (Authorization: Bearer ...) issued by "
                                                            + issuer
                                                    : "The bearer token was not accepted: " + exception.getMessage());
                                })
                                .accessDeniedHandler(accessDenied(outcomes)))
                .exceptionHandling(e -> e.accessDeniedHandler(accessDenied(outcomes)))
                .build();
    }

    /**
     * A refused token leaves one line in the log (what was asked, and why it was refused; never
     * the token) and is counted ({@value #REFUSED_TOKENS}, by reason {@code missing} or
     * {@code invalid}), so that an attack or a misconfigured client shows.
     */
    private static void refused(
            ObjectProvider<MeterRegistry> meters, HttpServletRequest request, String reason, String why) {
        log.info(
                "Refused a {} token for {} {} from {}: {}",
                reason,
                request.getMethod(),
                request.getRequestURI(),
                request.getRemoteAddr(),
                why);
        meters.ifAvailable(
                registry -> registry.counter(REFUSED_TOKENS, "reason", reason).increment());
    }

    private static AccessDeniedHandler accessDenied(OperationOutcomeWriter outcomes) {
        return (request, response, exception) -> {
            response.setStatus(403);
            outcomes.write(response, IssueType.FORBIDDEN, "Access denied: " + exception.getMessage());
        };
    }

    static void checkOpenServerMayListen(String address, boolean allowAnonymous) {
        if (isLoopback(address)) {
            log.warn(
                    "No token issuer is configured (spring.security.oauth2.resourceserver.jwt.issuer-uri): "
                            + "access control and the access log are OFF and anyone who reaches {} may read and change "
                            + "every record. This is for local use only.",
                    address);
            return;
        }
        if (!allowAnonymous) {
            throw new IllegalStateException("Refusing to listen on " + address
                    + " without access control: configure a token issuer"
                    + " (spring.security.oauth2.resourceserver.jwt.issuer-uri), listen on loopback"
                    + " (server.address=127.0.0.1), or allow anonymous access explicitly"
                    + " (patientkontrakt.security.allow-anonymous=true)");
        }
        log.warn(
                "No token issuer is configured and patientkontrakt.security.allow-anonymous=true: anyone who "
                        + "reaches {} may read and change every record, and no access is logged.",
                address);
    }

    private static boolean isLoopback(String address) {
        if (address == null || address.isBlank()) {
            return false;
        }
        try {
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /**
     * Checks a token's signature against the issuer's keys — the JWK set at {@code jwk-set-uri}, a
     * configured {@code public-key-location}, or else the JWK set the issuer's OpenID configuration
     * names (fetched on first use) — and then its expiry, issuer, audience and the claims that say
     * whom it is for ({@link TokenClaims}). Spring Boot's own decoder checks the issuer only with a
     * JWK set URI, so the server builds its own.
     *
     * <p>A token signed with a key id the cached JWK set does not hold makes the decoder fetch the
     * set again, at most once per {@link #KEY_REFETCH_LIMIT}: otherwise every forged token with a
     * made-up key id would make this server call the identity provider.
     */
    @Bean
    @AccessControlEnabled
    JwtDecoder jwtDecoder(OAuth2ResourceServerProperties resourceServer, PatientDirectory patients, PdlProperties pdl)
            throws IOException, GeneralSecurityException {
        OAuth2ResourceServerProperties.Jwt properties = resourceServer.getJwt();
        String issuer = properties.getIssuerUri();
        List<String> audiences = properties.getAudiences();
        if (audiences == null || audiences.isEmpty()) {
            throw new IllegalStateException("spring.security.oauth2.resourceserver.jwt.audiences must name this"
                    + " server's audience (the 'aud' its tokens carry) when an issuer is configured");
        }
        OAuth2TokenValidator<Jwt> validator = validator(issuer, audiences, new TokenClaims(patients::exists, pdl));
        Set<JWSAlgorithm> algorithms =
                properties.getJwsAlgorithms().stream().map(JWSAlgorithm::parse).collect(Collectors.toSet());
        if (properties.getJwkSetUri() != null) {
            NimbusJwtDecoder decoder = remoteKeys(new URL(properties.getJwkSetUri()), algorithms);
            decoder.setJwtValidator(validator);
            return decoder;
        }
        if (properties.getPublicKeyLocation() != null) {
            NimbusJwtDecoder decoder = NimbusJwtDecoder.withPublicKey(readPublicKey(properties.getPublicKeyLocation()))
                    .signatureAlgorithm(SignatureAlgorithm.from(
                            properties.getJwsAlgorithms().get(0)))
                    .build();
            decoder.setJwtValidator(validator);
            return decoder;
        }
        return new SupplierJwtDecoder(() -> {
            NimbusJwtDecoder decoder = remoteKeys(jwksUriOf(issuer), algorithms);
            decoder.setJwtValidator(validator);
            return decoder;
        });
    }

    /** A decoder that takes the keys from a JWK set URL, refetched for an unknown key id at most once a minute. */
    static NimbusJwtDecoder remoteKeys(URL jwkSetUrl, Set<JWSAlgorithm> algorithms) {
        JWKSource<SecurityContext> keys = JWKSourceBuilder.create(jwkSetUrl, new DefaultResourceRetriever(5_000, 5_000))
                .cache(Duration.ofMinutes(5).toMillis(), Duration.ofSeconds(15).toMillis())
                .rateLimited(KEY_REFETCH_LIMIT.toMillis())
                .retrying(false)
                .outageTolerant(false)
                .build();
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
        // Spring's validators check the claims (issuer, audience, expiry, ours); Nimbus only the signature.
        processor.setJWTClaimsSetVerifier((claims, context) -> {});
        return new NimbusJwtDecoder(processor);
    }

    /**
     * The {@code jwks_uri} of the issuer's OpenID Connect metadata ({@code
     * {issuer}/.well-known/openid-configuration}), which must name the same issuer.
     */
    private static URL jwksUriOf(String issuer) {
        URI location = URI.create(issuer.replaceAll("/$", "") + "/.well-known/openid-configuration");
        try {
            HttpResponse<String> response = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .build()
                    .send(
                            HttpRequest.newBuilder(location)
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            JsonNode metadata = new ObjectMapper().readTree(response.body());
            if (response.statusCode() != 200
                    || !issuer.equals(metadata.path("issuer").asText())) {
                throw new IllegalStateException("The OpenID configuration at " + location
                        + " does not describe the issuer " + issuer + " (HTTP " + response.statusCode() + ")");
            }
            return new URL(metadata.path("jwks_uri").asText());
        } catch (IOException e) {
            throw new IllegalStateException("Could not read the OpenID configuration at " + location, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while reading " + location, e);
        }
    }

    private static OAuth2TokenValidator<Jwt> validator(String issuer, List<String> audiences, TokenClaims claims) {
        List<OAuth2TokenValidator<Jwt>> validators = new ArrayList<>();
        validators.add(JwtValidators.createDefaultWithIssuer(issuer));
        // A token without an expiry would be valid for ever: refuse it.
        validators.add(new JwtClaimValidator<>(JwtClaimNames.EXP, Objects::nonNull));
        validators.add(new JwtClaimValidator<List<String>>(
                JwtClaimNames.AUD, aud -> aud != null && !Collections.disjoint(aud, audiences)));
        validators.add(claims);
        return new DelegatingOAuth2TokenValidator<>(validators);
    }

    private static RSAPublicKey readPublicKey(Resource location) throws IOException, GeneralSecurityException {
        try (InputStream in = location.getInputStream()) {
            String pem = new String(in.readAllBytes(), StandardCharsets.US_ASCII)
                    .replaceAll("-----[A-Z ]+-----", "")
                    .replaceAll("\\s", "");
            return (RSAPublicKey) KeyFactory.getInstance("RSA")
                    .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(pem)));
        }
    }
}
