package se.patientkontrakt.fhir.portal;

import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import java.util.Set;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.SearchEntryMode;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.StringType;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.Vocabulary;
import se.patientkontrakt.fhir.document.ContractGraph;
import se.patientkontrakt.fhir.document.PatientsPlans;
import se.patientkontrakt.fhir.server.RestProvider;

/**
 * {@code Patient/$patientkontrakt}: a patient's active contracts with everything a 1177-type
 * portal needs to show them, in one response — the contracts (search mode {@code match}), and
 * (mode {@code include}) the patient, the contact team, goals, the fixed contacts'
 * PractitionerRoles with their Practitioners and Organizations, and the other plans (SIP) the
 * contract points to ({@link ContractGraph}).
 */
@Component
class PatientContractOperation implements RestProvider {

    private final PatientsPlans patients;
    private final ContractGraph graph;

    PatientContractOperation(PatientsPlans patients, ContractGraph graph) {
        this.patients = patients;
        this.graph = graph;
    }

    @Operation(name = "$patientkontrakt", typeName = "Patient", idempotent = true)
    public Bundle forPatient(@IdParam IdType id, RequestDetails request) {
        return patients.byId(id, PatientContractOperation::isActiveContract, request, found -> view(found, request));
    }

    @Operation(name = "$patientkontrakt", typeName = "Patient", idempotent = true)
    public Bundle forIdentifier(
            @OperationParam(name = "identifier", min = 1, max = 1) StringType identifier, RequestDetails request) {
        return patients.byIdentifier(
                identifier, PatientContractOperation::isActiveContract, request, found -> view(found, request));
    }

    /** The active contracts, then the resources they point to ({@link ContractGraph}). */
    private Bundle view(PatientsPlans.Found found, RequestDetails request) {
        Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET);
        found.plans()
                .forEach(contract ->
                        bundle.addEntry().setResource(contract).getSearch().setMode(SearchEntryMode.MATCH));
        bundle.setTotal(bundle.getEntry().size());
        if (bundle.getEntry().isEmpty()) {
            return bundle;
        }
        bundle.addEntry().setResource(found.patient()).getSearch().setMode(SearchEntryMode.INCLUDE);
        graph.around(found.plans(), Set.of(ContractGraph.key(found.patient().getIdElement())), request)
                .values()
                .forEach(read -> bundle.addEntry().setResource(read).getSearch().setMode(SearchEntryMode.INCLUDE));
        bundle.getEntry()
                .forEach(entry -> entry.setFullUrl(entry.getResource()
                        .getIdElement()
                        .toUnqualifiedVersionless()
                        .getValue()));
        return bundle;
    }

    /** What {@code status=active&category=pk-careplan-category|patientkontrakt} matches. */
    private static boolean isActiveContract(CarePlan plan) {
        return plan.getStatus() == CarePlan.CarePlanStatus.ACTIVE
                && plan.getCategory().stream()
                        .flatMap(category -> category.getCoding().stream())
                        .anyMatch(coding -> Vocabulary.CAREPLAN_CATEGORY.equals(coding.getSystem())
                                && Vocabulary.CATEGORY_PATIENTKONTRAKT.equals(coding.getCode()));
    }
}
