package se.patientkontrakt.fhir.hapi;

import ca.uhn.fhir.context.support.IValidationSupport;
import java.time.Clock;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.hl7.fhir.common.hapi.validation.validator.WorkerContextValidationSupportAdapter;
import org.hl7.fhir.r5.model.Base;
import org.hl7.fhir.r5.model.ElementDefinition;
import org.hl7.fhir.r5.model.ElementDefinition.ElementDefinitionConstraintComponent;
import org.hl7.fhir.r5.model.Resource;
import org.hl7.fhir.r5.model.StructureDefinition;
import org.hl7.fhir.r5.utils.UserDataNames;
import org.springframework.beans.factory.annotation.Autowired;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * HAPI's bridge between the HL7 validator and a validation chain, handing out a StructureDefinition
 * whose constraints ask for {@code today()} as that day's copy, with the day in Sweden by the
 * server's clock written in ({@link SwedishToday}). The HL7 validator's FHIRPath engine takes today
 * from the JVM's time zone and lets no caller set it.
 *
 * <p>Every lookup by URL the validator makes goes through one of the overrides here. Two
 * validators use it: {@link ContractValidator}'s (writes, through {@link
 * DefinitionCachingWorkerContext}) and HAPI's own for {@code $validate}, whose bean {@code
 * workerContextValidationSupportAdapter} (defined in HAPI's {@code JpaConfig}) {@link HapiBeans}
 * makes this class. {@code FixedContactPeriodIT.inForceTodayIsTheServersDayInSwedenForBothValidators}
 * proves both with the server's clock on another day.
 */
class SwedishDayWorkerContext extends WorkerContextValidationSupportAdapter {

    private final Supplier<LocalDate> today;

    /** Whether a definition (by URL and version) has a constraint asking for today. */
    private final Map<String, Asks> asksForToday = new ConcurrentHashMap<>();

    private volatile DayCopies dayCopies = new DayCopies(LocalDate.MIN, Map.of());

    private record Asks(StructureDefinition definition, boolean today) {}

    /** The definitions asking for today, each with its copy for the day, by URL and version. */
    private record DayCopies(LocalDate day, Map<String, DayCopy> byKey) {}

    private record DayCopy(StructureDefinition original, StructureDefinition copy) {}

    /** For HAPI's bean: the validation chain sets itself in later. */
    @Autowired
    SwedishDayWorkerContext(Clock clock) {
        this.today = () -> LocalDate.now(clock.withZone(Vocabulary.SWEDEN));
    }

    SwedishDayWorkerContext(IValidationSupport validationSupport, Supplier<LocalDate> today) {
        super(validationSupport);
        this.today = today;
    }

    @Override
    public final <T extends Resource> T fetchResource(Class<T> type, String url) {
        return forToday(fetchAsStored(type, url));
    }

    /** The adapter's answer, before today is written in. */
    protected <T extends Resource> T fetchAsStored(Class<T> type, String url) {
        return super.fetchResource(type, url);
    }

    @Override
    public <T extends Resource> T fetchResource(Class<T> type, String url, String version, Resource source) {
        return forToday(super.fetchResource(type, url, version, source));
    }

    @Override
    public <T extends Resource> T fetchResourceWithException(Class<T> type, String url) {
        return forToday(super.fetchResourceWithException(type, url));
    }

    @Override
    public <T extends Resource> T fetchResourceWithException(
            Class<T> type, String url, String version, Resource source) {
        return forToday(super.fetchResourceWithException(type, url, version, source));
    }

    @Override
    public <T extends Resource> T fetchResourceRaw(Class<T> type, String url) {
        return forToday(super.fetchResourceRaw(type, url));
    }

    @Override
    public <T extends Resource> List<T> fetchResourcesByType(Class<T> type) {
        return super.fetchResourcesByType(type).stream().map(this::forToday).toList();
    }

    @Override
    public <T extends Resource> List<T> fetchResourceVersions(Class<T> type, String url) {
        return super.fetchResourceVersions(type, url).stream()
                .map(this::forToday)
                .toList();
    }

    /** The resource, or today's copy of it if it is a definition with a constraint asking for today. */
    private <T extends Resource> T forToday(T resource) {
        if (!(resource instanceof StructureDefinition definition)) {
            return resource;
        }
        String key = definition.getUrl() + "|" + definition.getVersion();
        Asks asks = asksForToday.get(key);
        if (asks == null || (asks.definition() != definition && !isCopy(key, definition))) {
            asks = new Asks(
                    definition, constraints(definition).anyMatch(c -> SwedishToday.asksForToday(c.getExpression())));
            asksForToday.put(key, asks);
        }
        if (!asks.today()) {
            return resource;
        }
        LocalDate day = today.get();
        DayCopies copies = dayCopies;
        if (!copies.day().equals(day)) {
            copies = new DayCopies(day, new ConcurrentHashMap<>());
            dayCopies = copies;
        }
        DayCopy copy = copies.byKey().get(key);
        if (copy == null || (copy.original() != definition && copy.copy() != definition)) {
            copy = new DayCopy(definition, copyFor(definition, day));
            copies.byKey().put(key, copy);
        }
        @SuppressWarnings("unchecked")
        T forToday = (T) copy.copy();
        return forToday;
    }

    /** Whether the definition is a day copy handed out here (and then asked for again by the validator). */
    private boolean isCopy(String key, StructureDefinition definition) {
        DayCopy copy = dayCopies.byKey().get(key);
        return copy != null && copy.copy() == definition;
    }

    /**
     * A copy with the day written into the constraints asking for today. The validator keeps each
     * constraint's parsed expression on the constraint; the copy keeps everything else it has put
     * on the definition, but not that.
     */
    private static StructureDefinition copyFor(StructureDefinition definition, LocalDate day) {
        boolean copiedUserData = Base.isCopyUserData();
        StructureDefinition copy;
        try {
            Base.setCopyUserData(true);
            copy = definition.copy();
        } finally {
            Base.setCopyUserData(copiedUserData);
        }
        constraints(copy)
                .filter(c -> SwedishToday.asksForToday(c.getExpression()))
                .forEach(c -> {
                    c.setExpression(SwedishToday.writtenFor(c.getExpression(), day));
                    c.clearUserData(UserDataNames.validator_expression_cache);
                });
        return copy;
    }

    private static Stream<ElementDefinitionConstraintComponent> constraints(StructureDefinition definition) {
        Stream<ElementDefinition> elements = Stream.concat(
                definition.hasSnapshot() ? definition.getSnapshot().getElement().stream() : Stream.empty(),
                definition.hasDifferential() ? definition.getDifferential().getElement().stream() : Stream.empty());
        return elements.flatMap(e -> e.getConstraint().stream());
    }
}
