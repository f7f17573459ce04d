package se.patientkontrakt.fhir.security;

import java.net.URI;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Access control beyond the token checks that Spring Security's own
 * {@code spring.security.oauth2.resourceserver.jwt.*} properties configure
 * ({@code patientkontrakt.security.*}).
 *
 * @param allowAnonymous let a server without a token issuer listen on an address other than
 *     loopback, open to anyone who reaches it; for a closed test network only
 * @param authorizationEndpoint the identity provider's OAuth2 authorization endpoint, published in
 *     {@code .well-known/smart-configuration} and the CapabilityStatement for apps that log users in
 * @param tokenEndpoint the identity provider's token endpoint, published likewise
 */
@Validated
@ConfigurationProperties("patientkontrakt.security")
public record AccessControlProperties(
        @DefaultValue("false") boolean allowAnonymous, URI authorizationEndpoint, URI tokenEndpoint) {}
