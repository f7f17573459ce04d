package se.patientkontrakt.fhir.subscription;

import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import ca.uhn.fhir.jpa.cache.IResourceChangeEvent;
import ca.uhn.fhir.jpa.cache.IResourceChangeListener;
import ca.uhn.fhir.jpa.cache.IResourceChangeListenerCache;
import ca.uhn.fhir.jpa.cache.IResourceChangeListenerRegistry;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.jpa.subscription.match.registry.SubscriptionLoader;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.hl7.fhir.instance.model.api.IIdType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.ContextRefreshedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * Keeps this node's registry of active Subscriptions in step with the database when several
 * nodes share it. A node learns at once of a Subscription created, activated or deleted through
 * itself; one created through another node it would learn of only at HAPI's own re-read, once a
 * minute ({@code BaseResourceCacheSynchronizer.REFRESH_INTERVAL}), and until then it would neither
 * record nor match changes written through it for that Subscription.
 *
 * <p>Every {@code patientkontrakt.subscriptions.registry-sync} this asks the database for the id
 * and version of each Subscription (one small query, through HAPI's resource-change cache) and,
 * only when one was added, changed or removed, has HAPI's {@link SubscriptionLoader} read them
 * again.
 */
class SubscriptionRegistrySync implements IResourceChangeListener {

    private static final Logger log = LoggerFactory.getLogger(SubscriptionRegistrySync.class);
    private static final String SUBSCRIPTION = "Subscription";

    private final IResourceChangeListenerRegistry changeListeners;
    private final SubscriptionLoader subscriptionLoader;
    private final Duration interval;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "subscription-registry-sync");
        thread.setDaemon(true);
        return thread;
    });
    private IResourceChangeListenerCache versions;

    SubscriptionRegistrySync(
            IResourceChangeListenerRegistry changeListeners, SubscriptionLoader subscriptionLoader, Duration interval) {
        this.changeListeners = changeListeners;
        this.subscriptionLoader = subscriptionLoader;
        this.interval = interval;
    }

    /** After HAPI's own loader has registered and loaded the Subscriptions at start-up. */
    @EventListener(ContextRefreshedEvent.class)
    @Order(Ordered.LOWEST_PRECEDENCE)
    public synchronized void start() {
        if (versions != null) {
            return;
        }
        versions = changeListeners.registerResourceResourceChangeListener(
                SUBSCRIPTION, RequestPartitionId.allPartitions(), new SearchParameterMap(), this, interval.toMillis());
        scheduler.scheduleWithFixedDelay(
                this::compareVersions, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void compareVersions() {
        try {
            versions.forceRefresh();
        } catch (RuntimeException e) {
            // The database may be down for a while; the next round tries again.
            log.warn("Could not compare the stored Subscriptions with this node's registry: {}", e.toString());
        }
    }

    @Override
    public void handleInit(Collection<IIdType> resourceIds) {
        // The loader read every Subscription at start-up itself.
    }

    @Override
    public void handleChange(IResourceChangeEvent event) {
        log.debug("Subscriptions changed in the database ({}); reloading this node's registry", event);
        subscriptionLoader.requestRefresh();
    }

    @PreDestroy
    void stop() {
        scheduler.shutdownNow();
        if (versions != null) {
            changeListeners.unregisterResourceResourceChangeListener(this);
        }
    }
}
