package se.patientkontrakt.fhir.contract;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.ReferenceParam;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.Extension;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.StorageInterceptor;

/**
 * Keeps the agreement bound to a version ({@link Agreement}), on every write of a contract and of
 * a care team, inside the write's transaction:
 *
 * <ul>
 *   <li>a new agreement (one that differs from the stored one in when, how or by whom) records the
 *       version agreed: the stored version the writer read when the promises stay as they were
 *       (the patient confirming what they saw, If-Match), the version being written when care
 *       records an agreement together with new promises; the contract is then agreed;
 *   <li>any other write keeps the recorded version, and leaves the contract waiting for agreement
 *       if it was, if it changes a promise, or if it has no agreement;
 *   <li>a change to a care team's contacts (members, roles, periods, how to reach them, status)
 *       leaves every agreed contract that names the team waiting for agreement: a new version of
 *       each, written by the server.
 * </ul>
 */
@Component
@Interceptor
class AgreementKeeper implements StorageInterceptor {

    /** Marks the server's own write of a contract whose team's contacts changed. */
    private static final String CONTACTS_CHANGED = AgreementKeeper.class.getName() + ".contactsChanged";

    private final FhirContext fhirContext;
    private final DaoRegistry daoRegistry;

    AgreementKeeper(FhirContext fhirContext, DaoRegistry daoRegistry) {
        this.fhirContext = fhirContext;
        this.daoRegistry = daoRegistry;
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED, order = HookOrder.CONTENT + 60)
    void created(IBaseResource resource) {
        if (resource instanceof CarePlan contract && Agreement.isContract(contract)) {
            Agreement.of(contract).ifPresent(agreement -> Agreement.setAgreedVersion(agreement, "1"));
            Agreement.setPending(contract, Agreement.of(contract).isEmpty());
        }
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED, order = HookOrder.CONTENT + 60)
    void updated(IBaseResource previous, IBaseResource resource, RequestDetails request) {
        if (previous instanceof CarePlan before && resource instanceof CarePlan after && Agreement.isContract(after)) {
            keep(before, after, request != null && request.getUserData().containsKey(CONTACTS_CHANGED));
        } else if (previous instanceof CareTeam before
                && resource instanceof CareTeam after
                && Agreement.contactsChanged(fhirContext, before, after)) {
            contractsWaitForAgreement(after);
        }
    }

    private void keep(CarePlan before, CarePlan after, boolean contactsChanged) {
        Extension agreement = Agreement.of(after).orElse(null);
        boolean promisesChanged = contactsChanged || Agreement.promisesChanged(fhirContext, before, after);
        if (agreement == null) {
            Agreement.setPending(after, true);
        } else if (Agreement.newlyAgreed(fhirContext, before, after).isPresent()) {
            String read = before.getIdElement().getVersionIdPart() != null
                    ? before.getIdElement().getVersionIdPart()
                    : before.getMeta().getVersionId();
            String agreed = promisesChanged ? String.valueOf(Long.parseLong(read) + 1) : read;
            Agreement.setAgreedVersion(agreement, agreed);
            Agreement.setPending(after, false);
        } else {
            Agreement.agreedVersion(before)
                    .ifPresentOrElse(
                            version -> Agreement.setAgreedVersion(agreement, version),
                            () -> agreement.getExtension().removeIf(e -> "version".equals(e.getUrl())));
            Agreement.setPending(after, Agreement.isPending(before) || promisesChanged);
        }
    }

    /** Every agreed contract naming the team gets a new version that waits for the patient's agreement. */
    private void contractsWaitForAgreement(CareTeam team) {
        IFhirResourceDao<CarePlan> contracts = daoRegistry.getResourceDao(CarePlan.class);
        SearchParameterMap naming = SearchParameterMap.newSynchronous(
                CarePlan.SP_CARE_TEAM,
                new ReferenceParam("CareTeam/" + team.getIdElement().getIdPart()));
        SystemRequestDetails server = new SystemRequestDetails();
        server.getUserData().put(CONTACTS_CHANGED, Boolean.TRUE);
        contracts.search(naming, server).getAllResources().stream()
                .map(CarePlan.class::cast)
                .filter(Agreement::isContract)
                .filter(contract -> !Agreement.isPending(contract))
                .forEach(contract -> contracts.update(contract, server));
    }
}
