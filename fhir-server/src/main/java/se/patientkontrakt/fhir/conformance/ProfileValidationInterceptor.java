package se.patientkontrakt.fhir.conformance;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.Vocabulary;
import se.patientkontrakt.fhir.hapi.ContractValidator;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.OperationOutcomeWriter;
import se.patientkontrakt.fhir.server.StorageInterceptor;

/**
 * Refuses, with 422 Unprocessable Entity, every write that does not conform to the
 * patient-contract profiles:
 *
 * <ul>
 *   <li>a resource of a type listed in {@code patientkontrakt.validation.required-profiles} that
 *       does not declare one of its profiles;
 *   <li>a resource that declares (or must declare) one of our profiles and does not conform
 *       (cardinalities, bindings, slices and the pk-* invariants).
 * </ul>
 *
 * <p>The contract's rules beyond the profiles (personnummer, pk-6 across resources) are
 * {@code contract/ContractRulesInterceptor}'s, and hold whatever this one is set to. A storage
 * interceptor, so REST writes, transactions and the server's own loaders all pass through it, just
 * before commit, when references inside a transaction Bundle point at the ids they were stored
 * under: a refusal stores nothing, and a refused entry fails its whole transaction Bundle.
 * {@code patientkontrakt.validation.benchmark-without-profiles=true} turns it off, to measure what it
 * costs; nothing else. With {@code patientkontrakt.validation.engine=compiled} (the default) the
 * compiled checker decides first and the HL7 validator only what it refers, so every refusal still
 * carries the HL7 validator's messages (docs/validation.md).
 */
@Component
@Interceptor
public class ProfileValidationInterceptor implements StorageInterceptor {

    private static final Pattern PATH_IN_MESSAGE = Pattern.compile("([A-Z][A-Za-z]+(?:\\.[a-zA-Z\\[\\]0-9]+)+): ");

    private final ContractValidator validator;
    private final ValidationProperties properties;

    ProfileValidationInterceptor(ContractValidator validator, ValidationProperties properties) {
        this.validator = validator;
        this.properties = properties;
    }

    @Hook(value = Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED, order = HookOrder.CONTENT + 10)
    void beforeCommitOfCreate(IBaseResource resource) {
        checkConformance(resource);
    }

    @Hook(value = Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED, order = HookOrder.CONTENT + 10)
    void beforeCommitOfUpdate(IBaseResource previous, IBaseResource resource) {
        checkConformance(resource);
    }

    /** The profiles the resource declares or must declare. */
    void checkConformance(IBaseResource resource) {
        if (!properties.validateProfiles()) {
            return;
        }
        List<OperationOutcome.OperationOutcomeIssueComponent> issues = new ArrayList<>();
        String type = validator.fhirContext().getResourceType(resource);
        Set<String> profiles = profilesToCheck(resource, type, issues);
        if (issues.isEmpty() && !profiles.isEmpty() && !acceptedByCompiledChecker(resource, profiles)) {
            for (ContractValidator.Problem problem : validator.errors(resource, profiles)) {
                issues.add(OperationOutcomeWriter.issue(IssueType.PROCESSING, problem.message(), elementPath(problem)));
            }
        }
        if (!issues.isEmpty()) {
            OperationOutcome outcome = new OperationOutcome();
            outcome.setIssue(issues);
            throw new UnprocessableEntityException(validator.fhirContext(), outcome);
        }
    }

    /**
     * With the compiled engine, a resource the compiled checker accepts is not given to the HL7
     * validator; anything it refers is, and the HL7 validator's messages are the answer.
     */
    private boolean acceptedByCompiledChecker(IBaseResource resource, Set<String> profiles) {
        return properties.engine() == ValidationProperties.Engine.COMPILED
                && validator.compiledVerdict(resource, profiles).accepted();
    }

    /** Our profiles the resource declares, or the issue that it declares none of those required. */
    private Set<String> profilesToCheck(
            IBaseResource resource, String type, List<OperationOutcome.OperationOutcomeIssueComponent> issues) {
        Set<String> declared = new LinkedHashSet<>();
        resource.getMeta().getProfile().forEach(p -> declared.add(p.getValue()));
        List<String> required = properties.requiredProfiles().getOrDefault(type, List.of());
        if (!required.isEmpty() && required.stream().noneMatch(declared::contains)) {
            issues.add(OperationOutcomeWriter.issue(
                    IssueType.REQUIRED,
                    "A " + type + " stored here must declare and conform to one of the profiles " + required
                            + "; it declares " + (declared.isEmpty() ? "none" : declared),
                    type + ".meta.profile"));
            return Set.of();
        }
        declared.removeIf(url -> !url.startsWith(Vocabulary.CANONICAL_BASE + "/"));
        return declared;
    }

    /**
     * Where the problem is. For a missing element the validator's location is the parent
     * ({@code CarePlan}) and the element is named at the start of the message
     * ({@code CarePlan.subject: minimum required = 1 ...}): that path is the more precise one.
     */
    static String elementPath(ContractValidator.Problem problem) {
        Matcher named = PATH_IN_MESSAGE.matcher(problem.message() == null ? "" : problem.message());
        String location = problem.location();
        if (named.lookingAt() && (location == null || named.group(1).startsWith(location))) {
            return named.group(1);
        }
        return location;
    }
}
