package se.patientkontrakt.fhir.security;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.StorageInterceptor;

/**
 * The HSA-id of a unit the directory holds, by the reference to its Organization or to a
 * PractitionerRole there, remembered across requests: a work list weighs many patients whose
 * teams name the same roles and units, and reading each of them per patient was most of what
 * Patientdatalagen's rules cost. A write of an Organization or PractitionerRole on this node
 * forgets them all at once; another node's write is seen within {@link #REMEMBER}.
 */
@Component
@Interceptor
@AccessControlEnabled
class DirectoryHsaIds implements StorageInterceptor {

    static final Duration REMEMBER = Duration.ofMinutes(5);

    private static final Set<String> DIRECTORY = Set.of("Organization", "PractitionerRole");

    private final List<Runnable> onForget = new CopyOnWriteArrayList<>();

    private final Cache<String, Optional<String>> known =
            Caffeine.newBuilder().expireAfterWrite(REMEMBER).maximumSize(50_000).build();

    /** Runs the action whenever what is remembered of the directory is forgotten. */
    void onForget(Runnable action) {
        onForget.add(action);
    }

    /** The HSA-id remembered for the reference ({@code Organization/x}), if it is. */
    Optional<Optional<String>> remembered(String reference) {
        return Optional.ofNullable(known.getIfPresent(reference));
    }

    void remember(String reference, Optional<String> hsaId) {
        if (DIRECTORY.contains(reference.substring(0, Math.max(0, reference.indexOf('/'))))) {
            known.put(reference, hsaId);
        }
    }

    @Hook(value = Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED, order = HookOrder.EFFECTS + 30)
    void created(IBaseResource resource) {
        forgetOn(resource);
    }

    @Hook(value = Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED, order = HookOrder.EFFECTS + 30)
    void updated(IBaseResource previous, IBaseResource resource) {
        forgetOn(resource);
    }

    @Hook(value = Pointcut.STORAGE_PRECOMMIT_RESOURCE_DELETED, order = HookOrder.EFFECTS + 30)
    void deleted(IBaseResource resource) {
        forgetOn(resource);
    }

    private void forgetOn(IBaseResource resource) {
        if (DIRECTORY.contains(resource.fhirType())) {
            known.invalidateAll();
            onForget.forEach(Runnable::run);
        }
    }
}
