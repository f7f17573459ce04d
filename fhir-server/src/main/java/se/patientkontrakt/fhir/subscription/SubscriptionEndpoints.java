package se.patientkontrakt.fhir.subscription;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.hl7.fhir.r4.model.Subscription;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.OperationOutcomeWriter;
import se.patientkontrakt.fhir.server.StorageInterceptor;

/**
 * Where notifications may go: a rest-hook Subscription's endpoint must be one the region has
 * allowed ({@code patientkontrakt.subscriptions.allowed-endpoints}), so that no client can have
 * contract data sent to an address of its own choosing. An endpoint matches an allowed URL with
 * the same scheme and host, the same port where the allowed URL names one, and a path that starts
 * with its path. Allowed URLs must be {@code https}, or {@code http} to this machine (checked at
 * start-up). With none allowed, the default, no Subscription is accepted, except on a server
 * without access control (local use, listening on loopback only), which may notify this machine.
 * Refused with 422, for every write of a Subscription (a storage interceptor).
 */
@Component
@Interceptor
class SubscriptionEndpoints implements StorageInterceptor {

    static final String ISSUER = "spring.security.oauth2.resourceserver.jwt.issuer-uri";

    private final FhirContext fhirContext;
    private final List<URI> allowed;
    private final boolean openServer;

    SubscriptionEndpoints(FhirContext fhirContext, SubscriptionProperties properties, Environment environment) {
        this.fhirContext = fhirContext;
        this.allowed = List.copyOf(properties.allowedEndpoints());
        this.openServer = environment.getProperty(ISSUER, "").isBlank();
        for (URI uri : allowed) {
            if (!"https".equalsIgnoreCase(uri.getScheme()) && !isHttpToThisMachine(uri)) {
                throw new IllegalStateException("patientkontrakt.subscriptions.allowed-endpoints: " + uri
                        + " must be https (or http to this machine)");
            }
        }
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED, order = HookOrder.CONTENT + 40)
    void beforeCreate(IBaseResource resource) {
        check(resource);
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED, order = HookOrder.CONTENT + 40)
    void beforeUpdate(IBaseResource previous, IBaseResource resource) {
        check(resource);
    }

    private void check(IBaseResource resource) {
        if (!(resource instanceof Subscription subscription)
                || !subscription.getChannel().hasEndpoint()) {
            return; // HAPI refuses a rest-hook without an endpoint itself
        }
        String endpoint = subscription.getChannel().getEndpoint();
        URI uri;
        try {
            uri = URI.create(endpoint);
        } catch (IllegalArgumentException e) {
            refuse("Subscription.channel.endpoint is not a URL: " + endpoint);
            return;
        }
        if (allowed.stream().anyMatch(a -> matches(a, uri)) || (openServer && isHttpToThisMachine(uri))) {
            return;
        }
        refuse("Subscription.channel.endpoint " + endpoint + " is not one this server sends notifications to;"
                + " the region allows them in patientkontrakt.subscriptions.allowed-endpoints");
    }

    static boolean matches(URI allowed, URI endpoint) {
        return allowed.getScheme() != null
                && allowed.getScheme().equalsIgnoreCase(endpoint.getScheme())
                && allowed.getHost() != null
                && allowed.getHost().equalsIgnoreCase(endpoint.getHost())
                && (allowed.getPort() < 0 || allowed.getPort() == endpoint.getPort())
                && endpoint.getRawUserInfo() == null
                && Objects.requireNonNullElse(endpoint.getPath(), "")
                        .startsWith(Objects.requireNonNullElse(allowed.getPath(), ""));
    }

    private static boolean isHttpToThisMachine(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            return false;
        }
        try {
            return InetAddress.getByName(uri.getHost()).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private void refuse(String message) {
        throw new UnprocessableEntityException(
                fhirContext, OperationOutcomeWriter.error(IssueType.VALUE, message, "Subscription.channel.endpoint"));
    }
}
