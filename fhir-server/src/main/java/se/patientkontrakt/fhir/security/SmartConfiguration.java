package se.patientkontrakt.fhir.security;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.autoconfigure.security.oauth2.resource.OAuth2ResourceServerProperties;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@code GET /fhir/.well-known/smart-configuration}: how a SMART app reaches this server's
 * identity provider and which scopes it may ask for
 * (<a href="https://hl7.org/fhir/smart-app-launch/conformance.html">SMART App Launch, conformance</a>).
 * The path lies under the FHIR base, which HAPI's servlet serves, so it gets its own servlet with
 * an exact mapping, which the servlet container prefers to HAPI's prefix mapping. Without an issuer
 * the server has no access control to describe and answers {@code 404}.
 */
@Configuration
class SmartConfiguration {

    static final List<String> SCOPES_SUPPORTED = List.of(
            "openid",
            "fhirUser",
            "launch/patient",
            "patient/*.read",
            "patient/*.rs",
            "patient/CarePlan.u",
            "user/*.read",
            "user/*.write",
            "user/*.cruds",
            "system/*.read",
            "system/*.write",
            "system/*.cruds");

    @Bean
    ServletRegistrationBean<HttpServlet> smartConfigurationServlet(
            OAuth2ResourceServerProperties resourceServer, AccessControlProperties properties, ObjectMapper json) {
        String issuer = resourceServer.getJwt().getIssuerUri();
        Map<String, Object> document =
                issuer == null || issuer.isBlank() ? null : document(issuer, resourceServer, properties);
        HttpServlet servlet = new HttpServlet() {
            @Override
            protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
                response.setCharacterEncoding("UTF-8");
                if (document == null) {
                    response.setStatus(404);
                    response.setContentType("application/fhir+json");
                    response.getWriter()
                            .write("{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\","
                                    + "\"code\":\"not-found\",\"diagnostics\":\"Access control is not configured"
                                    + " on this server (no token issuer): it runs open, for local use only\"}]}");
                    return;
                }
                response.setContentType("application/json");
                json.writeValue(response.getWriter(), document);
            }
        };
        ServletRegistrationBean<HttpServlet> registration = new ServletRegistrationBean<>(
                servlet, "/fhir/.well-known/smart-configuration", "/.well-known/smart-configuration");
        registration.setName("smartConfiguration");
        return registration;
    }

    private static Map<String, Object> document(
            String issuer, OAuth2ResourceServerProperties resourceServer, AccessControlProperties properties) {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("issuer", issuer);
        String jwks = resourceServer.getJwt().getJwkSetUri();
        if (jwks != null) {
            document.put("jwks_uri", jwks);
        }
        if (properties.authorizationEndpoint() != null) {
            document.put(
                    "authorization_endpoint", properties.authorizationEndpoint().toString());
        }
        if (properties.tokenEndpoint() != null) {
            document.put("token_endpoint", properties.tokenEndpoint().toString());
        }
        document.put("grant_types_supported", List.of("authorization_code", "client_credentials"));
        document.put("token_endpoint_auth_methods_supported", List.of("private_key_jwt", "client_secret_basic"));
        document.put("scopes_supported", SCOPES_SUPPORTED);
        document.put("response_types_supported", List.of("code"));
        document.put("code_challenge_methods_supported", List.of("S256"));
        document.put(
                "capabilities",
                List.of(
                        "launch-standalone",
                        "client-public",
                        "client-confidential-asymmetric",
                        "context-standalone-patient",
                        "permission-patient",
                        "permission-user",
                        "permission-v1",
                        "permission-v2"));
        return document;
    }
}
