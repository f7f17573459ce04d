package se.patientkontrakt.fhir.server;

import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.rest.openapi.OpenApiInterceptor;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.interceptor.CorsInterceptor;
import ca.uhn.fhir.rest.server.interceptor.ResponseHighlighterInterceptor;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Component;
import org.springframework.web.cors.CorsConfiguration;

/**
 * The one place where interceptors are registered. An interceptor of this service says where it
 * belongs by what it implements: {@link RestInterceptor} (requests to {@code /fhir}, registered on
 * the RestfulServer) or {@link StorageInterceptor} (every storage operation, the server's own
 * writes too, registered with HAPI's storage interceptor service); its {@code @Hook} orders say
 * when it runs ({@link HookOrder}). Besides those, three of HAPI's own run on the endpoint: CORS
 * (when origins are configured), the OpenAPI description and Swagger UI, and the HTML rendering of
 * responses for a browser.
 *
 * <p>{@code RequestPipelineTest} fails when anything else in the code registers an interceptor, and
 * when two hooks at one hook point share an order; {@code docs/ARCHITECTURE.md} holds the table of
 * hook points and interceptors that the test checks against the code.
 */
@Component
public class RequestPipeline {

    /** HAPI's own interceptors on the REST endpoint, in the order they are registered. */
    public static final List<Class<?>> HAPI_REST_INTERCEPTORS =
            List.of(CorsInterceptor.class, OpenApiInterceptor.class, ResponseHighlighterInterceptor.class);

    private final List<Object> rest = new ArrayList<>();
    private final List<Object> storage = new ArrayList<>();

    RequestPipeline(
            RestfulServer server,
            IInterceptorService storageInterceptors,
            List<RestInterceptor> restInterceptors,
            List<StorageInterceptor> storageOnes,
            CorsProperties cors) {
        if (cors.enabled()) {
            rest.add(new CorsInterceptor(corsConfiguration(cors)));
        }
        rest.add(new OpenApiInterceptor());
        rest.add(new ResponseHighlighterInterceptor());
        rest.addAll(restInterceptors);
        storage.addAll(storageOnes);
        rest.forEach(server::registerInterceptor);
        storage.forEach(storageInterceptors::registerInterceptor);
    }

    /** What this pipeline registered on the REST endpoint. */
    public List<Object> restInterceptors() {
        return List.copyOf(rest);
    }

    /** What this pipeline registered with HAPI's storage interceptor service. */
    public List<Object> storageInterceptors() {
        return List.copyOf(storage);
    }

    private static CorsConfiguration corsConfiguration(CorsProperties cors) {
        CorsConfiguration config = new CorsConfiguration();
        config.setAllowedOriginPatterns(cors.allowedOrigins());
        config.setAllowedMethods(List.of("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"));
        config.setAllowedHeaders(List.of(
                "Accept",
                "Authorization",
                "Content-Type",
                "If-Match",
                "If-None-Exist",
                "If-None-Match",
                "If-Modified-Since",
                "Prefer",
                "X-Request-Id"));
        config.setExposedHeaders(List.of("Content-Location", "ETag", "Last-Modified", "Location", "X-Request-Id"));
        config.setAllowCredentials(true);
        config.setMaxAge(cors.maxAge());
        return config;
    }
}
