package se.patientkontrakt.fhir.ownership;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import java.util.Optional;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.Owner;
import se.patientkontrakt.fhir.security.AccessToken;
import se.patientkontrakt.fhir.security.Commission;
import se.patientkontrakt.fhir.server.HookOrder;
import se.patientkontrakt.fhir.server.StorageInterceptor;

/**
 * Who owns a contract, its care team and its goals, and a patient's consent or block (samtycke,
 * spärr), under Patientdatalagen: the care giver and care unit of the commission that created it
 * ({@link Owner}), labelled on every version. A care token's own
 * labels are replaced by its commission's on create; an update keeps the owner the resource has,
 * whatever the client sends (a resource without one is adopted by the first commission that
 * changes it). A patient's change keeps the owner too. Only writes without a commission to go by
 * keep the labels they bring: a region-wide client's (a migration), and the server's own and those
 * of a server without access control (loading the examples, local use).
 */
@Component
@Interceptor
class OwnerLabels implements StorageInterceptor {

    private final FhirContext fhirContext;

    OwnerLabels(FhirContext fhirContext) {
        this.fhirContext = fhirContext;
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED, order = HookOrder.CONTENT + 50)
    void ownerOfNew(IBaseResource resource, RequestDetails request) {
        if (!owned(resource)) {
            return;
        }
        Optional<AccessToken> token = AccessToken.of(request);
        Optional<Commission> commission = token.flatMap(AccessToken::commission);
        if (commission.isPresent()) {
            owner(commission.get()).labelOnto(resource);
        } else if (token.filter(AccessToken::patientToken).isPresent()) {
            Owner.removeFrom(resource); // a patient creates nothing; should a rule let one, it owns nothing
        }
    }

    @Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED, order = HookOrder.CONTENT + 50)
    void ownerKept(IBaseResource previous, IBaseResource updated, RequestDetails request) {
        if (!owned(updated)) {
            return;
        }
        Optional<AccessToken> token = AccessToken.of(request);
        Optional<Owner> current = Owner.of(previous);
        if (token.isEmpty() || token.get().regionWide()) {
            if (!Owner.isLabelled(updated)) {
                current.ifPresent(owner -> owner.labelOnto(updated));
            }
            return;
        }
        Optional<Owner> kept = current.or(() -> token.get().commission().map(OwnerLabels::owner));
        Owner.removeFrom(updated);
        kept.ifPresent(owner -> owner.labelOnto(updated));
    }

    private boolean owned(IBaseResource resource) {
        return Owner.OWNED_TYPES.contains(fhirContext.getResourceType(resource));
    }

    static Owner owner(Commission commission) {
        return new Owner(commission.careGiver(), commission.unit());
    }
}
