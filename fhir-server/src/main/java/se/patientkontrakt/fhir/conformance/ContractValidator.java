package se.patientkontrakt.fhir.conformance;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.context.support.ValidationSupportContext;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationOptions;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.PrePopulatedValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.StructureDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Validates resources against the patient-contract profiles with HAPI's instance validator, on a
 * validation chain held entirely in memory: the FHIR core definitions, our profiles (snapshots
 * generated once) and terminology, and in-memory code validation. No database or network lookup
 * happens during a write, which keeps validation cheap.
 *
 * <p>Preparing the chain (snapshots, and one validation of every example so that the validator
 * has built its working context) takes seconds of CPU. It runs once the web server is up, before
 * the readiness probe reports the node ready (a parallel thread only competed for the same two
 * cores and delayed everything). A write that arrives earlier waits for it: nothing is ever
 * stored unvalidated.
 */
@Component
public class ContractValidator {

    private static final Logger log = LoggerFactory.getLogger(ContractValidator.class);

    private final FhirContext fhirContext;
    private final ConformanceResources conformance;
    private final CompletableFuture<Prepared> prepared;

    private record Prepared(ValidationSupportChain chain, FhirValidator validator) {}

    ContractValidator(FhirContext fhirContext, ConformanceResources conformance) {
        this.fhirContext = fhirContext;
        this.conformance = conformance;
        this.prepared = new CompletableFuture<>();
    }

    /**
     * Builds the chain and warms the validator up; called once at start-up, after the web server
     * has started and before the application reports itself ready.
     */
    void prepare() {
        try {
            prepared.complete(prepare(conformance));
        } catch (RuntimeException | Error e) {
            prepared.completeExceptionally(e);
            throw e;
        }
    }

    private Prepared prepare(ConformanceResources conformance) {
        long started = System.currentTimeMillis();
        PrePopulatedValidationSupport ours = new PrePopulatedValidationSupport(fhirContext);
        conformance.codeSystems().forEach(ours::addCodeSystem);
        conformance.valueSets().forEach(ours::addValueSet);
        conformance.structureDefinitions().forEach(ours::addStructureDefinition);
        ValidationSupportChain chain = new ValidationSupportChain(
                fhirContext.getValidationSupport(),
                ours,
                new CommonCodeSystemsTerminologyService(fhirContext),
                new InMemoryTerminologyServerValidationSupport(fhirContext),
                new SnapshotGeneratingValidationSupport(fhirContext));

        // Differentials in, snapshots out, once.
        for (StructureDefinition differential : conformance.structureDefinitions()) {
            StructureDefinition withSnapshot = (StructureDefinition) chain.generateSnapshot(
                    new ValidationSupportContext(chain),
                    differential.copy(),
                    differential.getUrl(),
                    ConformanceResources.CANONICAL_BASE,
                    differential.getName());
            if (withSnapshot == null || !withSnapshot.hasSnapshot()) {
                throw new IllegalStateException("No snapshot could be generated for " + differential.getUrl());
            }
            ours.addStructureDefinition(withSnapshot);
        }
        chain.invalidateCaches();
        long snapshots = System.currentTimeMillis();

        FhirInstanceValidator instanceValidator = new FhirInstanceValidator(chain);
        instanceValidator.setAnyExtensionsAllowed(true);
        // A profile of another guide that a client declares is not ours to enforce.
        instanceValidator.setErrorForUnknownProfiles(false);
        FhirValidator validator = fhirContext.newValidator().registerValidatorModule(instanceValidator);
        validator.setConcurrentBundleValidation(false);
        for (IBaseResource example : conformance.examples()) {
            if (!(example instanceof Bundle)) {
                validator.validateWithResult(example);
            }
        }
        log.info(
                "Patient-contract validator ready: {} snapshots in {} ms, warmed up on {} examples in {} ms",
                conformance.structureDefinitions().size(),
                snapshots - started,
                conformance.examples().size(),
                System.currentTimeMillis() - snapshots);
        return new Prepared(chain, validator);
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

    /** Errors (and fatal errors) of the resource against the base spec and the given profiles. */
    public List<SingleValidationMessage> errors(IBaseResource resource, Collection<String> profiles) {
        ValidationOptions options = new ValidationOptions();
        profiles.forEach(options::addProfile);
        return ready().validator().validateWithResult(resource, options).getMessages().stream()
                .filter(m -> m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL)
                .toList();
    }

    FhirContext fhirContext() {
        return fhirContext;
    }
}
