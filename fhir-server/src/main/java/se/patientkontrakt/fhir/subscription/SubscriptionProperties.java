package se.patientkontrakt.fhir.subscription;

import jakarta.validation.constraints.NotNull;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Change notification through FHIR Subscriptions ({@code patientkontrakt.subscriptions.*}).
 *
 * @param pollInterval how often the changes stored since the last look are matched against the
 *     active Subscriptions: the longest a change waits before it is matched, at the price of one
 *     small database query per interval
 * @param retryFor how long a delivery the receiver did not accept is tried again (waits of 1 s,
 *     2 s, 4 s … at most 1 min between attempts) before it is given up and logged
 * @param registrySync how often a node compares the Subscriptions stored in the database with
 *     those it knows, so that one created through another node sharing the database takes effect
 *     here too; one small query per interval
 * @param allowedEndpoints the URLs notifications may be sent to, each {@code https} (or
 *     {@code http} to this machine): an endpoint must have the same scheme and host, the same port
 *     where one is given, and a path that starts with the given one. Empty (the default): none,
 *     except, on a server without access control, endpoints on this machine
 */
@Validated
@ConfigurationProperties("patientkontrakt.subscriptions")
record SubscriptionProperties(
        @NotNull @DurationMin(millis = 100) @DefaultValue("1s") Duration pollInterval,
        @NotNull @DurationMin(millis = 0) @DefaultValue("5m") Duration retryFor,
        @NotNull @DurationMin(millis = 100) @DefaultValue("5s") Duration registrySync,
        @DefaultValue List<URI> allowedEndpoints) {}
