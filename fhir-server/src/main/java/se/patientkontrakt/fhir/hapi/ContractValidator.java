package se.patientkontrakt.fhir.hapi;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.context.support.ValidationSupportContext;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.PrePopulatedValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirDefaultPolicyAdvisor;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.common.hapi.validation.validator.WorkerContextValidationSupportAdapter;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.StructureDefinition;
import org.hl7.fhir.r5.elementmodel.Manager;
import org.hl7.fhir.r5.utils.validation.ValidatorSession;
import org.hl7.fhir.r5.utils.validation.constants.BestPracticeWarningLevel;
import org.hl7.fhir.r5.utils.validation.constants.IdStatus;
import org.hl7.fhir.r5.utils.xver.XVerExtensionManagerOld;
import org.hl7.fhir.utilities.validation.ValidationMessage;
import org.hl7.fhir.validation.ValidatorSettings;
import org.hl7.fhir.validation.instance.InstanceValidator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.ConformanceResources;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * Validates resources against the patient-contract profiles with HAPI's instance validator, on a
 * validation chain held entirely in memory: the FHIR core definitions, our profiles (snapshots
 * generated once) and terminology, and in-memory code validation. No database or network lookup
 * happens during a write, which keeps validation cheap.
 *
 * <p>Preparing the chain (our profiles' snapshots, generated when the jar was built by {@link
 * BuildSnapshots}, and one check of every example so that the compiled checker has compiled the
 * types it meets) runs once the web server is up, before the readiness probe reports the node
 * ready (a parallel thread only competed for the same two cores and delayed everything). A write
 * that arrives earlier waits for it: nothing is ever stored unvalidated.
 *
 * <p>The HL7 validator's working context (an R5 copy of every definition it looks up, about 40
 * MB, and 3 s of CPU to build) is warmed up at start only when it decides every write ({@code
 * patientkontrakt.validation.engine=hl7}). With the compiled engine it decides only what the
 * checker refers and {@code $validate}, so the first such request builds it instead, and a node
 * that never sees an invalid write never holds it.
 */
@Component
public class ContractValidator {

    private static final Logger log = LoggerFactory.getLogger(ContractValidator.class);

    private final FhirContext fhirContext;
    private final ConformanceResources conformance;
    private final Clock clock;
    private final CompletableFuture<Prepared> prepared;

    private record Prepared(
            ValidationSupportChain chain,
            WorkerContextValidationSupportAdapter workerContext,
            CompiledProfileChecker checker) {}

    /** One problem the validator found: where, and what. */
    public record Problem(String location, String message) {}

    /**
     * Validations a reused validator serves before it is replaced. The HL7 validator keeps every
     * resource it validated reachable from maps of its own (roughly 90 KB each, by a heap
     * histogram), so a pool of eight at 1,000 each ran a 1 GB heap out of memory loading contracts
     * with eight clients. At 50 a validator holds a few MB, and its construction is still spread
     * over enough validations to cost a fraction of a millisecond each.
     */
    static final int VALIDATIONS_PER_INSTANCE = 50;

    /** Idle validators; as many exist as validations ever ran at the same time. */
    private final Deque<ReusedValidator> idle = new ConcurrentLinkedDeque<>();

    private static final class ReusedValidator {
        final InstanceValidator validator;
        int uses;

        ReusedValidator(InstanceValidator validator) {
            this.validator = validator;
        }
    }

    /** With the system clock in Sweden, as a validator outside the server (tests, benchmarks). */
    ContractValidator(FhirContext fhirContext, ConformanceResources conformance) {
        this(fhirContext, conformance, Clock.system(Vocabulary.SWEDEN));
    }

    /**
     * @param clock the server's clock: FHIRPath's {@code today()} in the profiles' constraints is
     *     its day in Sweden, for both engines ({@link SwedishToday})
     */
    @Autowired
    ContractValidator(FhirContext fhirContext, ConformanceResources conformance, Clock clock) {
        this.fhirContext = fhirContext;
        this.conformance = conformance;
        this.clock = clock;
        this.prepared = new CompletableFuture<>();
    }

    private LocalDate today() {
        return LocalDate.now(clock.withZone(Vocabulary.SWEDEN));
    }

    /**
     * Builds the chain and warms the compiled checker up, and the HL7 validator too if asked (when
     * it decides every write); called once at start-up, after the web server has started and
     * before the application reports itself ready.
     */
    public void prepare(boolean warmUpHl7Validator) {
        try {
            prepared.complete(prepare(conformance, warmUpHl7Validator));
        } catch (RuntimeException | Error e) {
            prepared.completeExceptionally(e);
            throw e;
        }
    }

    private Prepared prepare(ConformanceResources conformance, boolean warmUpHl7Validator) {
        long started = System.currentTimeMillis();
        List<StructureDefinition> differentials = conformance.structureDefinitions();
        Map<String, StructureDefinition> built = BuildSnapshots.read(fhirContext, differentials);
        PrePopulatedValidationSupport ours = ours(fhirContext, conformance);
        ValidationSupportChain chain = chain(fhirContext, ours);
        // Snapshots as the build generated them; here only for a profile it did not, or whose
        // differential changed since.
        List<StructureDefinition> missing = differentials.stream()
                .filter(d -> !built.containsKey(d.getUrl()))
                .toList();
        built.values().forEach(ours::addStructureDefinition);
        withSnapshots(chain, ours, missing);
        chain.invalidateCaches();
        long snapshots = System.currentTimeMillis();

        CompiledProfileChecker checker = new CompiledProfileChecker(
                fhirContext,
                chain,
                conformance.structureDefinitions().stream()
                        .map(StructureDefinition::getUrl)
                        .toList(),
                this::today);
        long compiled = System.currentTimeMillis();
        Prepared prepared = new Prepared(chain, new DefinitionCachingWorkerContext(chain, this::today), checker);
        for (IBaseResource example : conformance.examples()) {
            if (!(example instanceof Bundle)) {
                if (warmUpHl7Validator) {
                    errors(prepared, example, List.of());
                }
                checker.check(example, List.of()); // compiles the FHIR types it meets, and warms it up
            }
        }
        log.info(
                "Patient-contract validator ready: {} snapshots ({} from the build, {} generated) in {} ms, compiled"
                        + " in {} ms, warmed up ({}) on {} examples in {} ms",
                differentials.size(),
                built.size(),
                missing.size(),
                snapshots - started,
                compiled - snapshots,
                warmUpHl7Validator ? "compiled checker and HL7 validator" : "compiled checker",
                conformance.examples().size(),
                System.currentTimeMillis() - compiled);
        return prepared;
    }

    /**
     * Each profile with its snapshot, generated from its differential on the validator's chain, by
     * URL: what {@link BuildSnapshots} writes when the jar is built.
     */
    static Map<String, StructureDefinition> generateSnapshots(
            FhirContext fhirContext, ConformanceResources conformance) {
        PrePopulatedValidationSupport ours = ours(fhirContext, conformance);
        return withSnapshots(chain(fhirContext, ours), ours, conformance.structureDefinitions());
    }

    private static PrePopulatedValidationSupport ours(FhirContext fhirContext, ConformanceResources conformance) {
        PrePopulatedValidationSupport ours = new PrePopulatedValidationSupport(fhirContext);
        conformance.codeSystems().forEach(ours::addCodeSystem);
        conformance.valueSets().forEach(ours::addValueSet);
        conformance.structureDefinitions().forEach(ours::addStructureDefinition);
        return ours;
    }

    private static ValidationSupportChain chain(FhirContext fhirContext, PrePopulatedValidationSupport ours) {
        return new ValidationSupportChain(
                fhirContext.getValidationSupport(),
                ours,
                new CommonCodeSystemsTerminologyService(fhirContext),
                new InMemoryTerminologyServerValidationSupport(fhirContext),
                new SnapshotGeneratingValidationSupport(fhirContext));
    }

    /** Differentials in, snapshots out, each put in place of its differential. */
    private static Map<String, StructureDefinition> withSnapshots(
            ValidationSupportChain chain, PrePopulatedValidationSupport ours, List<StructureDefinition> differentials) {
        Map<String, StructureDefinition> generated = new LinkedHashMap<>();
        for (StructureDefinition differential : differentials) {
            StructureDefinition withSnapshot = (StructureDefinition) chain.generateSnapshot(
                    new ValidationSupportContext(chain),
                    differential.copy(),
                    differential.getUrl(),
                    Vocabulary.CANONICAL_BASE,
                    differential.getName());
            if (withSnapshot == null || !withSnapshot.hasSnapshot()) {
                throw new IllegalStateException("No snapshot could be generated for " + differential.getUrl());
            }
            ours.addStructureDefinition(withSnapshot);
            generated.put(differential.getUrl(), withSnapshot);
        }
        return generated;
    }

    /**
     * The compiled checker's verdict on the resource against the given profiles and those it
     * declares: {@code ACCEPT} (the HL7 validator would find no error), or a referral to
     * {@link #errors}, whose answer is then the answer.
     */
    public CompiledProfileChecker.Verdict compiledVerdict(IBaseResource resource, Collection<String> profiles) {
        return ready().checker().check(resource, profiles);
    }

    private Prepared ready() {
        return prepared.join();
    }

    /** The definition with its generated snapshot. */
    public StructureDefinition withSnapshot(String url) {
        IBaseResource definition = ready().chain().fetchStructureDefinition(url);
        if (definition == null) {
            throw new IllegalArgumentException("Unknown profile " + url);
        }
        return (StructureDefinition) definition;
    }

    /** The in-memory chain: FHIR core and patient-contract definitions and terminology. */
    public IValidationSupport validationSupport() {
        return ready().chain();
    }

    /**
     * Errors (and fatal errors) of the resource against the base spec, the profiles it declares
     * and the given ones.
     *
     * <p>HAPI's {@code FhirInstanceValidator} builds a new HL7 {@code InstanceValidator} for every
     * call, and its construction re-reads a table of OIDs from a jar: about a third of a
     * contract's validation time, measured. Here validators (not thread-safe) are kept in a pool
     * of idle ones, configured as HAPI configures them, and each is renewed after
     * {@value #VALIDATIONS_PER_INSTANCE} validations.
     */
    public List<Problem> errors(IBaseResource resource, Collection<String> profiles) {
        return errors(ready(), resource, profiles);
    }

    private List<Problem> errors(Prepared ready, IBaseResource resource, Collection<String> profiles) {
        Set<String> urls = new LinkedHashSet<>(profiles);
        resource.getMeta().getProfile().forEach(p -> urls.add(p.getValue()));
        List<org.hl7.fhir.r5.model.StructureDefinition> definitions = new ArrayList<>();
        for (String url : urls) {
            org.hl7.fhir.r5.model.StructureDefinition definition =
                    ready.workerContext().fetchResource(org.hl7.fhir.r5.model.StructureDefinition.class, url);
            if (definition != null) {
                definitions.add(definition);
            }
        }
        byte[] json =
                fhirContext.newJsonParser().encodeResourceToString(resource).getBytes(StandardCharsets.UTF_8);
        List<ValidationMessage> messages = new ArrayList<>();
        ReusedValidator reused = borrow(ready);
        try {
            reused.validator.validate(
                    null, messages, new ByteArrayInputStream(json), Manager.FhirFormat.JSON, definitions);
        } finally {
            giveBack(reused);
        }
        return messages.stream()
                .filter(m -> m.getLevel() == ValidationMessage.IssueSeverity.ERROR
                        || m.getLevel() == ValidationMessage.IssueSeverity.FATAL)
                .map(m -> new Problem(m.getLocation(), m.getMessage()))
                .toList();
    }

    private ReusedValidator borrow(Prepared ready) {
        ReusedValidator reused = idle.pollFirst();
        return reused != null ? reused : new ReusedValidator(newInstanceValidator(ready.workerContext()));
    }

    private void giveBack(ReusedValidator reused) {
        if (++reused.uses < VALIDATIONS_PER_INSTANCE) {
            idle.offerFirst(reused);
        }
    }

    /** Configured as HAPI's FhirInstanceValidator configures it, with our two choices. */
    private static InstanceValidator newInstanceValidator(WorkerContextValidationSupportAdapter workerContext) {
        InstanceValidator validator = new InstanceValidator(
                workerContext,
                new FhirInstanceValidator.NullEvaluationContext(),
                new XVerExtensionManagerOld(workerContext),
                new ValidatorSession(),
                new ValidatorSettings());
        validator.setAssumeValidRestReferences(false);
        validator.setBestPracticeWarningLevel(BestPracticeWarningLevel.Warning);
        validator.setAnyExtensionsAllowed(true);
        validator.setResourceIdRule(IdStatus.OPTIONAL);
        validator.setNoTerminologyChecks(false);
        // A profile of another guide that a client declares is not ours to enforce.
        validator.setErrorForUnknownProfiles(false);
        validator.setUnknownCodeSystemsCauseErrors(true);
        validator.setPolicyAdvisor(new FhirDefaultPolicyAdvisor());
        validator.setAllowXsiLocation(true);
        return validator;
    }

    public FhirContext fhirContext() {
        return fhirContext;
    }
}
