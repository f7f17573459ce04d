package se.patientkontrakt.fhir.contract;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.RestInterceptor;

/**
 * One person is one Patient: a create or update that would store a Patient with an identifier
 * (system and value: a personnummer, a samordningsnummer, any other) that another stored Patient
 * holds is refused with 409 Conflict before anything is stored ({@link DuplicatePatientIdentifier}).
 * Without this, the portal view by personnummer could not tell which Patient is meant.
 *
 * <p>It runs after {@link ContractRulesInterceptor} has put legacy OID systems under HL7 Sweden's
 * URIs (a later hook order), so an old and a new system for the same number clash.
 * Writes at the same moment that both pass this look-up are stopped by the database: the unique
 * index of {@code SearchParameter/pk-patient-identifier-unique}. HAPI then retries the losing
 * write, which meets this check again and gets the same answer.
 *
 * <p>That SearchParameter is a rule, not a way to search (HAPI cannot search a composite of one
 * component): a search that names it is answered 400 with a pointer to {@code identifier}, and
 * {@code /metadata} leaves it out.
 */
@Component
@Interceptor
public class OnePatientPerIdentifierInterceptor implements RestInterceptor {

    /** The code of {@code SearchParameter/pk-patient-identifier-unique}. */
    public static final String RULE_CODE = "identifier-unique";

    /** The key of {@link #claimedInThisTransaction()} among the transaction's resources. */
    private static final Object CLAIMED = new Object();

    private final DaoRegistry daoRegistry;

    OnePatientPerIdentifierInterceptor(DaoRegistry daoRegistry) {
        this.daoRegistry = daoRegistry;
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED, order = HookOrder.CONTENT + 20)
    void beforeCreate(IBaseResource resource) {
        refuseIfHeldByAnother(resource);
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED, order = HookOrder.CONTENT + 20)
    void beforeUpdate(IBaseResource previous, IBaseResource resource) {
        refuseIfHeldByAnother(resource);
    }

    /** The rule is not a search parameter: HAPI lists it as one, {@code /metadata} does not. */
    @Hook(value = Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED, order = HookOrder.CONTENT + 40)
    void leaveTheRuleOutOfCapabilities(IBaseConformance generated) {
        if (generated instanceof CapabilityStatement capabilities) {
            capabilities.getRest().stream()
                    .flatMap(rest -> rest.getResource().stream())
                    .forEach(resource ->
                            resource.getSearchParam().removeIf(parameter -> RULE_CODE.equals(parameter.getName())));
        }
    }

    /**
     * Where the database's unique index rather than the look-up stopped a second Patient (two
     * writes at the same moment), HAPI says 409 with a message about index constraints: say it in
     * these words ({@link DuplicatePatientIdentifier#fromHapi}).
     */
    @Hook(value = Pointcut.SERVER_PRE_PROCESS_OUTGOING_EXCEPTION, order = HookOrder.CONTENT + 10)
    BaseServerResponseException inTheseWords(Throwable exception) {
        return exception instanceof BaseServerResponseException hapi
                ? DuplicatePatientIdentifier.fromHapi(hapi).orElse(null)
                : null;
    }

    /**
     * Wherever the search names the rule: on its own, with a modifier, at the end of a chain, with
     * a chain of its own ({@code identifier-unique.name}, on which HAPI failed with 500) or in a
     * {@code _has}.
     */
    @Hook(value = Pointcut.SERVER_INCOMING_REQUEST_POST_PROCESSED, order = HookOrder.CONTENT + 10)
    void refuseSearchByTheRule(RequestDetails request) {
        for (String parameter : request.getParameters().keySet()) {
            if (Arrays.asList(parameter.split("[.:]")).contains(RULE_CODE)) {
                throw new InvalidRequestException("Search parameter '" + parameter + "' is the rule that one person is"
                        + " one Patient, not a way to search: search with identifier={system}|{value}");
            }
        }
    }

    /**
     * The identifiers of the Patients stored so far in the current database transaction, so two
     * entries of one transaction Bundle with the same number are told apart before storage: the
     * search below cannot see a Patient stored earlier in the same transaction, and the unique
     * index would only fail the whole Bundle at flush, after HAPI had retried it ten times. Bound
     * to the database transaction, not the request, so a retried transaction starts afresh.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Patient> claimedInThisTransaction() {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            return new HashMap<>();
        }
        Map<String, Patient> claimed = (Map<String, Patient>) TransactionSynchronizationManager.getResource(CLAIMED);
        if (claimed == null) {
            claimed = new HashMap<>();
            TransactionSynchronizationManager.bindResource(CLAIMED, claimed);
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCompletion(int status) {
                    TransactionSynchronizationManager.unbindResourceIfPossible(CLAIMED);
                }
            });
        }
        return claimed;
    }

    private void refuseIfHeldByAnother(IBaseResource resource) {
        if (!(resource instanceof Patient patient)) {
            return;
        }
        String self = patient.getIdElement().hasIdPart()
                ? "Patient/" + patient.getIdElement().getIdPart()
                : null;
        Map<String, Patient> claimed = claimedInThisTransaction();
        for (Identifier identifier : patient.getIdentifier()) {
            if (!identifier.hasSystem() || !identifier.hasValue()) {
                continue;
            }
            Patient claimant = claimed.putIfAbsent(identifier.getSystem() + "|" + identifier.getValue(), patient);
            if (claimant != null && claimant != patient) {
                throw DuplicatePatientIdentifier.twiceInOneTransaction(identifier.getSystem(), identifier.getValue());
            }
            SearchParameterMap holders = SearchParameterMap.newSynchronous(
                    Patient.SP_IDENTIFIER, new TokenParam(identifier.getSystem(), identifier.getValue()));
            for (IIdType holder : daoRegistry
                    .getResourceDao(Patient.class)
                    .searchForResourceIds(holders, new SystemRequestDetails())) {
                String holderId = "Patient/" + holder.getIdPart();
                if (!holderId.equals(self)) {
                    throw DuplicatePatientIdentifier.heldBy(holderId, identifier.getSystem(), identifier.getValue());
                }
            }
        }
    }
}
