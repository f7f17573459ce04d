package se.patientkontrakt.fhir.hapi;

import ca.uhn.fhir.context.support.IValidationSupport;
import java.time.LocalDate;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.hl7.fhir.r5.model.Resource;

/**
 * The bridge between {@link ContractValidator}'s HL7 validator and its fixed validation chain,
 * remembering which definition each canonical URL resolved to (with today written in by {@link
 * SwedishDayWorkerContext}).
 *
 * <p>The HL7 validator asks for the same StructureDefinitions many times per resource (every
 * element's type, every extension, every binding): about 150 lookups for a contract. Each one
 * goes through the chain's cache and HAPI's R4-to-R5 conversion cache; together 11 % of a
 * contract's validation and 14 % of a care team's in a profile. The chain is fixed once the
 * validator is prepared, and the adapter hands out the same converted object for a URL every
 * time, so answering a repeated lookup from a map returns exactly what the adapter would have.
 * Only URLs that resolve are kept (a client can send any URL), and at most {@value #MAX_ENTRIES}.
 */
class DefinitionCachingWorkerContext extends SwedishDayWorkerContext {

    static final int MAX_ENTRIES = 10_000;

    private final Map<Class<?>, Map<String, Resource>> resolved = new ConcurrentHashMap<>();

    DefinitionCachingWorkerContext(IValidationSupport validationSupport, Supplier<LocalDate> today) {
        super(validationSupport, today);
    }

    @Override
    protected <T extends Resource> T fetchAsStored(Class<T> type, String url) {
        if (type == null || url == null) {
            return super.fetchAsStored(type, url);
        }
        Map<String, Resource> byUrl = resolved.computeIfAbsent(type, t -> new ConcurrentHashMap<>());
        Resource known = byUrl.get(url);
        if (known != null) {
            return type.cast(known);
        }
        T fetched = super.fetchAsStored(type, url);
        if (fetched != null && byUrl.size() < MAX_ENTRIES) {
            byUrl.put(url, fetched);
        }
        return fetched;
    }
}
