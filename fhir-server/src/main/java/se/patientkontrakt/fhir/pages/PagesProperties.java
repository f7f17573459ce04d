package se.patientkontrakt.fhir.pages;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The pages the server serves itself, "Mitt patientkontrakt" and the care work list
 * ({@code patientkontrakt.pages.*}).
 *
 * @param clientId the OAuth2 client id under which the pages are registered at the identity
 *     provider, as a public client (no secret, PKCE); used only with access control on
 */
@Validated
@ConfigurationProperties("patientkontrakt.pages")
public record PagesProperties(@DefaultValue("patientkontrakt-sidor") String clientId) {}
