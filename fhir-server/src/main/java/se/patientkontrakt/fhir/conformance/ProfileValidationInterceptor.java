package se.patientkontrakt.fhir.conformance;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueSeverity;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.springframework.stereotype.Component;

/**
 * Refuses, with 422 Unprocessable Entity, every write that breaks the patient-contract rules:
 *
 * <ul>
 *   <li>a resource of a type listed in {@code patientkontrakt.validation.required-profiles} that
 *       does not declare one of its profiles;
 *   <li>a resource that declares (or must declare) one of our profiles and does not conform
 *       (cardinalities, bindings, slices and the pk-* invariants);
 *   <li>a Patient whose personnummer or samordningsnummer has an impossible date or a wrong Luhn
 *       check digit (legacy OID systems are accepted and stored under HL7 Sweden's URIs);
 *   <li>a contract that says the patient wants help coordinating care while its care team has no
 *       active fast vårdkontakt (invariant pk-6, checked here across resources because the
 *       CareTeam is stored on its own).
 * </ul>
 *
 * Registered with HAPI's storage interceptor service, so REST writes, transactions and the
 * server's own loaders all pass through it. Every hook runs inside the write's database
 * transaction: a refusal stores nothing, and a refused entry fails its whole transaction Bundle.
 */
@Component
@Interceptor
public class ProfileValidationInterceptor {

    static final String WANTS_COORDINATION_HELP =
            ConformanceResources.CANONICAL_BASE + "/StructureDefinition/pk-wants-coordination-help";
    static final String FAST_KONTAKT_SYSTEM =
            "https://terminologitjansten.inera.se/inera-kodverksforvaltning/kodverk/kv_typ_av_fast_kontakt";
    private static final Set<String> FAST_VARDKONTAKT_CODES = Set.of("1", "4");
    private static final Pattern PATH_IN_MESSAGE = Pattern.compile("([A-Z][A-Za-z]+(?:\\.[a-zA-Z\\[\\]0-9]+)+): ");

    private final ContractValidator validator;
    private final ValidationProperties properties;
    private final DaoRegistry daoRegistry;

    ProfileValidationInterceptor(
            ContractValidator validator, ValidationProperties properties, DaoRegistry daoRegistry) {
        this.validator = validator;
        this.properties = properties;
        this.daoRegistry = daoRegistry;
    }

    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
    void beforeCreate(IBaseResource resource) {
        checkIdentifiers(resource);
    }

    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
    void beforeUpdate(IBaseResource previous, IBaseResource resource) {
        checkIdentifiers(resource);
    }

    @Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED)
    void beforeCommitOfCreate(IBaseResource resource) {
        checkConformance(resource);
    }

    @Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED)
    void beforeCommitOfUpdate(IBaseResource previous, IBaseResource resource) {
        checkConformance(resource);
    }

    /**
     * Before storage, while the resource may still be changed: legacy identifier systems are
     * mapped, and personal numbers are checked.
     */
    void checkIdentifiers(IBaseResource resource) {
        if (properties.enabled() && resource instanceof Patient patient) {
            List<OperationOutcome.OperationOutcomeIssueComponent> issues = new ArrayList<>();
            checkPersonalNumbers(patient, issues);
            refuseIfAny(issues);
        }
    }

    /**
     * Just before commit, when references inside a transaction Bundle have been resolved to the
     * ids they were stored under: the profiles, and the cross-resource rule.
     */
    void checkConformance(IBaseResource resource) {
        if (!properties.enabled()) {
            return;
        }
        List<OperationOutcome.OperationOutcomeIssueComponent> issues = new ArrayList<>();
        String type = validator.fhirContext().getResourceType(resource);
        Set<String> profiles = profilesToCheck(resource, type, issues);
        if (issues.isEmpty() && !profiles.isEmpty()) {
            for (ContractValidator.Problem problem : validator.errors(resource, profiles)) {
                issues.add(issue(IssueType.PROCESSING, elementPath(problem), problem.message()));
            }
        }
        if (issues.isEmpty() && resource instanceof CarePlan plan) {
            checkCoordinationHelp(plan, issues);
        }
        refuseIfAny(issues);
    }

    private void refuseIfAny(List<OperationOutcome.OperationOutcomeIssueComponent> issues) {
        if (!issues.isEmpty()) {
            OperationOutcome outcome = new OperationOutcome();
            outcome.setIssue(issues);
            throw new UnprocessableEntityException(validator.fhirContext(), outcome);
        }
    }

    /** Our profiles the resource declares, or the issue that it declares none of those required. */
    private Set<String> profilesToCheck(
            IBaseResource resource, String type, List<OperationOutcome.OperationOutcomeIssueComponent> issues) {
        Set<String> declared = new LinkedHashSet<>();
        resource.getMeta().getProfile().forEach(p -> declared.add(p.getValue()));
        List<String> required = properties.requiredProfiles().getOrDefault(type, List.of());
        if (!required.isEmpty() && required.stream().noneMatch(declared::contains)) {
            issues.add(issue(
                    IssueType.REQUIRED,
                    type + ".meta.profile",
                    "A " + type + " stored here must declare and conform to one of the profiles " + required
                            + "; it declares " + (declared.isEmpty() ? "none" : declared)));
            return Set.of();
        }
        declared.removeIf(url -> !url.startsWith(ConformanceResources.CANONICAL_BASE + "/"));
        return declared;
    }

    private static void checkPersonalNumbers(
            Patient patient, List<OperationOutcome.OperationOutcomeIssueComponent> issues) {
        for (int i = 0; i < patient.getIdentifier().size(); i++) {
            Identifier identifier = patient.getIdentifier().get(i);
            if (!SwedishIdentifiers.isPersonalNumberSystem(identifier.getSystem())) {
                continue;
            }
            identifier.setSystem(SwedishIdentifiers.canonicalSystem(identifier.getSystem()));
            int index = i;
            SwedishIdentifiers.problem(identifier.getSystem(), identifier.getValue())
                    .ifPresent(problem ->
                            issues.add(issue(IssueType.VALUE, "Patient.identifier[" + index + "].value", problem)));
        }
    }

    private void checkCoordinationHelp(CarePlan plan, List<OperationOutcome.OperationOutcomeIssueComponent> issues) {
        boolean wantsHelp = plan.getExtensionsByUrl(WANTS_COORDINATION_HELP).stream()
                .anyMatch(e -> e.getValue() instanceof BooleanType b && b.booleanValue());
        if (!wantsHelp) {
            return;
        }
        boolean hasFastVardkontakt = plan.getCareTeam().stream().anyMatch(this::holdsActiveFastVardkontakt);
        if (!hasFastVardkontakt) {
            issues.add(
                    issue(
                            IssueType.INVARIANT,
                            "CarePlan.careTeam",
                            "pk-6: The patient wants help to coordinate their care (pk-wants-coordination-help = true),"
                                    + " so the care team must hold an active fast vårdkontakt (kv_typ_av_fast_kontakt 1 or 4)"));
        }
    }

    private boolean holdsActiveFastVardkontakt(Reference reference) {
        CareTeam team;
        if (reference.getResource() instanceof CareTeam contained) {
            team = contained;
        } else if (reference.getReferenceElement().hasIdPart()
                && "CareTeam".equals(reference.getReferenceElement().getResourceType())) {
            try {
                team = daoRegistry.getResourceDao(CareTeam.class).read(reference.getReferenceElement());
            } catch (ResourceNotFoundException | ResourceGoneException e) {
                return false;
            }
        } else {
            return false;
        }
        LocalDate today = LocalDate.now(ZoneId.of("Europe/Stockholm"));
        return team.getParticipant().stream()
                .filter(p -> p.getRole().stream()
                        .flatMap(role -> role.getCoding().stream())
                        .anyMatch(c -> FAST_KONTAKT_SYSTEM.equals(c.getSystem())
                                && FAST_VARDKONTAKT_CODES.contains(c.getCode())))
                .anyMatch(p -> !p.getPeriod().hasEnd()
                        || !p.getPeriod()
                                .getEnd()
                                .toInstant()
                                .atZone(ZoneId.of("Europe/Stockholm"))
                                .toLocalDate()
                                .isBefore(today));
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

    private static OperationOutcome.OperationOutcomeIssueComponent issue(IssueType type, String path, String message) {
        OperationOutcome.OperationOutcomeIssueComponent issue = new OperationOutcome.OperationOutcomeIssueComponent()
                .setSeverity(IssueSeverity.ERROR)
                .setCode(type)
                .setDiagnostics(message);
        if (path != null && !path.isBlank()) {
            issue.addExpression(path);
            issue.addLocation(path);
        }
        return issue;
    }
}
