package se.patientkontrakt.fhir.subscription;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.cache.IResourceChangeListenerRegistry;
import ca.uhn.fhir.jpa.model.config.SubscriptionSettings;
import ca.uhn.fhir.jpa.subscription.channel.impl.RetryPolicyProvider;
import ca.uhn.fhir.jpa.subscription.match.config.SubscriptionProcessorConfig;
import ca.uhn.fhir.jpa.subscription.match.deliver.email.IEmailSender;
import ca.uhn.fhir.jpa.subscription.match.registry.SubscriptionLoader;
import ca.uhn.fhir.jpa.subscription.submit.config.SubscriptionSubmitterConfig;
import ca.uhn.fhir.jpa.subscription.submit.interceptor.SubscriptionMatcherInterceptor;
import org.hl7.fhir.dstu2.model.Subscription.SubscriptionChannelType;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;

/**
 * FHIR R4 Subscriptions with the rest-hook channel, so that a portal or an EHR learns of a changed
 * contract or care team without polling (<a href="https://hl7.org/fhir/R4/subscription.html">subscription.html</a>).
 * Everything runs inside this server, with no message broker: HAPI's submitter checks each
 * Subscription and records each change to a watched resource type in the database
 * ({@code HFJ_RESOURCE_MODIFIED}, so a change survives a restart until it is matched); a scheduled
 * job hands the recorded changes to
 * HAPI's processor, which activates new Subscriptions, matches changes against the active ones
 * and delivers them over HAPI's in-memory channels ({@code SubscriptionChannelConfig}, imported
 * with the JPA configuration).
 *
 * <p>Deliveries in flight live in memory: a delivery still being retried when the server stops
 * is lost. With several server nodes on one database, each recorded change is matched and
 * delivered by one node (HAPI deletes the record before it hands it on, so a second node finds
 * nothing), and {@link SubscriptionRegistrySync} lets each node know the Subscriptions created
 * through the others.
 */
@Configuration
@Import({SubscriptionSubmitterConfig.class, SubscriptionProcessorConfig.class})
class RestHookSubscriptionConfig {

    @Bean
    SubscriptionSettings subscriptionSettings(SubscriptionProperties properties) {
        SubscriptionSettings settings = new SubscriptionSettings();
        settings.addSupportedSubscriptionType(SubscriptionChannelType.RESTHOOK);
        settings.setSubscriptionIntervalInMs(properties.pollInterval().toMillis());
        return settings;
    }

    /**
     * HAPI's matcher, but building no message for a change no Subscription watches; HAPI's
     * submitter registers the primary bean (HAPI's own is built and left unregistered).
     */
    @Bean
    @Primary
    SubscriptionMatcherInterceptor watchedTypesMatcher(FhirContext fhirContext, WatchedTypesInterceptor watchedTypes) {
        return new WatchedTypesMatcher(fhirContext, watchedTypes);
    }

    /** Replaces HAPI's one-minute retry policy; HAPI's channel factory takes the primary bean. */
    @Bean
    @Primary
    RetryPolicyProvider deliveryRetryPolicy(SubscriptionProperties properties) {
        return new DeliveryRetryPolicy(properties.retryFor());
    }

    @Bean
    SubscriptionRegistrySync subscriptionRegistrySync(
            IResourceChangeListenerRegistry changeListeners,
            SubscriptionLoader subscriptionLoader,
            SubscriptionProperties properties) {
        return new SubscriptionRegistrySync(changeListeners, subscriptionLoader, properties.registrySync());
    }

    /**
     * HAPI's delivery listener factory needs an e-mail sender; it is never called, since only
     * rest-hook Subscriptions are accepted.
     */
    @Bean
    IEmailSender noEmailDelivery() {
        return details -> {
            throw new UnsupportedOperationException("This server delivers no e-mail notifications");
        };
    }
}
