package se.patientkontrakt.fhir.contract;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import java.time.Clock;
import java.time.LocalDate;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Reference;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.OperationOutcomeWriter;
import se.patientkontrakt.fhir.server.StorageInterceptor;

/**
 * The contract's rules that no profile can state and no setting turns off, refused with 422
 * Unprocessable Entity:
 *
 * <ul>
 *   <li>a Patient whose personnummer or samordningsnummer has an impossible date or a wrong Luhn
 *       check digit; legacy OID systems are accepted and stored under HL7 Sweden's URIs
 *       ({@link SwedishIdentifiers});
 *   <li>a contract that says the patient wants help coordinating care while its care team has no
 *       active fast vårdkontakt (invariant pk-6, checked here across resources because the
 *       CareTeam is stored on its own, which FHIRPath in the profile cannot see).
 * </ul>
 *
 * <p>A storage interceptor: REST writes, transaction entries and the server's own loaders all pass
 * through it, inside the write's database transaction, so a refusal stores nothing. The identifiers
 * are checked before storage, while legacy systems may still be rewritten; pk-6 just before commit,
 * when the references of a transaction Bundle point at the ids the entries were stored under, and
 * after the profile validation (which reports a broken contract first).
 */
@Component
@Interceptor
class ContractRulesInterceptor implements StorageInterceptor {

    private static final Set<String> FAST_VARDKONTAKT_CODES = Set.of("1", "4");

    private final FhirContext fhirContext;
    private final DaoRegistry daoRegistry;
    /** The server's clock: "in force today" is its day in Sweden, as for the profiles' constraints. */
    private final Clock clock;

    ContractRulesInterceptor(FhirContext fhirContext, DaoRegistry daoRegistry, Clock clock) {
        this.fhirContext = fhirContext;
        this.daoRegistry = daoRegistry;
        this.clock = clock;
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED, order = HookOrder.CONTENT + 10)
    void identifiersOnCreate(IBaseResource resource) {
        checkPersonalNumbers(resource);
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED, order = HookOrder.CONTENT + 10)
    void identifiersOnUpdate(IBaseResource previous, IBaseResource resource) {
        checkPersonalNumbers(resource);
    }

    @Hook(value = Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED, order = HookOrder.CONTENT + 20)
    void coordinationHelpOnCreate(IBaseResource resource) {
        checkCoordinationHelp(resource);
    }

    @Hook(value = Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED, order = HookOrder.CONTENT + 20)
    void coordinationHelpOnUpdate(IBaseResource previous, IBaseResource resource) {
        checkCoordinationHelp(resource);
    }

    private void checkPersonalNumbers(IBaseResource resource) {
        if (!(resource instanceof Patient patient)) {
            return;
        }
        OperationOutcome outcome = new OperationOutcome();
        for (int i = 0; i < patient.getIdentifier().size(); i++) {
            Identifier identifier = patient.getIdentifier().get(i);
            if (!SwedishIdentifiers.isPersonalNumberSystem(identifier.getSystem())) {
                continue;
            }
            identifier.setSystem(SwedishIdentifiers.canonicalSystem(identifier.getSystem()));
            String path = "Patient.identifier[" + i + "].value";
            SwedishIdentifiers.problem(identifier.getSystem(), identifier.getValue())
                    .ifPresent(
                            problem -> outcome.addIssue(OperationOutcomeWriter.issue(IssueType.VALUE, problem, path)));
        }
        refuseIfAny(outcome);
    }

    private void checkCoordinationHelp(IBaseResource resource) {
        if (!(resource instanceof CarePlan plan)) {
            return;
        }
        boolean wantsHelp = plan.getExtensionsByUrl(Vocabulary.WANTS_COORDINATION_HELP).stream()
                .anyMatch(e -> e.getValue() instanceof BooleanType b && b.booleanValue());
        if (!wantsHelp || plan.getCareTeam().stream().anyMatch(this::holdsActiveFastVardkontakt)) {
            return;
        }
        refuseIfAny(OperationOutcomeWriter.error(
                IssueType.INVARIANT,
                "pk-6: The patient wants help to coordinate their care (pk-wants-coordination-help = true),"
                        + " so the care team must hold a fast vårdkontakt in force today (kv_typ_av_fast_kontakt 1 or 4)",
                "CarePlan.careTeam"));
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
        LocalDate today = LocalDate.now(clock.withZone(Vocabulary.SWEDEN));
        return team.getParticipant().stream()
                .filter(p -> p.getRole().stream()
                        .flatMap(role -> role.getCoding().stream())
                        .anyMatch(c -> Vocabulary.FAST_KONTAKT.equals(c.getSystem())
                                && FAST_VARDKONTAKT_CODES.contains(c.getCode())))
                .anyMatch(p -> inForce(p.getPeriod(), today));
    }

    /**
     * Whether a participant's period holds today, as the profile's invariants and the fixed-contact
     * search parameters say it: each end empty, or its date as written (the first ten characters of
     * a dateTime) on the right side of today.
     */
    static boolean inForce(Period period, LocalDate today) {
        String day = today.toString();
        return (!period.hasStart() || writtenDay(period.getStartElement()).compareTo(day) <= 0)
                && (!period.hasEnd() || writtenDay(period.getEndElement()).compareTo(day) >= 0);
    }

    private static String writtenDay(DateTimeType date) {
        String written = date.getValueAsString();
        return written.length() > 10 ? written.substring(0, 10) : written;
    }

    private void refuseIfAny(OperationOutcome outcome) {
        if (outcome.hasIssue()) {
            throw new UnprocessableEntityException(fhirContext, outcome);
        }
    }
}
