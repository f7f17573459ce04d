package se.patientkontrakt.fhir.portal;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.util.FhirTerser;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.SearchEntryMode;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.conformance.SwedishIdentifiers;
import se.patientkontrakt.fhir.server.RestProvider;

/**
 * {@code Patient/$patientkontrakt}: a patient's active contracts with everything a 1177-type
 * portal needs to show them, in one response — the contracts (search mode {@code match}), and
 * (mode {@code include}) the patient, the contact team, goals, the fixed contacts'
 * PractitionerRoles with their Practitioners and Organizations, and the other plans (SIP) the
 * contract points to. References are followed up to {@value #DEPTH} steps from a contract, and
 * only to the resource types a portal shows.
 */
@Component
class PatientContractOperation implements RestProvider {

    static final String CATEGORY_SYSTEM = "https://patientkontrakt.se/fhir/CodeSystem/pk-careplan-category";
    static final String CATEGORY_CODE = "patientkontrakt";

    private static final int DEPTH = 3;
    private static final Set<String> FOLLOWED = Set.of(
            "Patient",
            "CareTeam",
            "Goal",
            "PractitionerRole",
            "Practitioner",
            "Organization",
            "CarePlan",
            "RelatedPerson");

    private final FhirContext fhirContext;
    private final DaoRegistry daoRegistry;

    PatientContractOperation(FhirContext fhirContext, DaoRegistry daoRegistry) {
        this.fhirContext = fhirContext;
        this.daoRegistry = daoRegistry;
    }

    @Operation(name = "$patientkontrakt", typeName = "Patient", idempotent = true)
    public Bundle forPatient(@IdParam IdType id, RequestDetails request) {
        Patient patient = daoRegistry.getResourceDao(Patient.class).read(id.toUnqualifiedVersionless(), request);
        return view(patient, request);
    }

    @Operation(name = "$patientkontrakt", typeName = "Patient", idempotent = true)
    public Bundle forIdentifier(
            @OperationParam(name = "identifier", min = 1, max = 1) StringType identifier, RequestDetails request) {
        String[] parts =
                identifier == null ? new String[0] : identifier.getValue().split("\\|", 2);
        if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
            throw new InvalidRequestException("Give the patient as identifier=system|value, e.g. "
                    + SwedishIdentifiers.PERSONNUMMER + "|191212121212");
        }
        String system = SwedishIdentifiers.canonicalSystem(parts[0]);
        SearchParameterMap byIdentifier =
                SearchParameterMap.newSynchronous("identifier", new TokenParam(system, parts[1]));
        List<IBaseResource> found = daoRegistry
                .getResourceDao(Patient.class)
                .search(byIdentifier, request)
                .getAllResources();
        if (found.isEmpty()) {
            throw new ResourceNotFoundException("No patient with identifier " + system + "|" + parts[1]);
        }
        if (found.size() > 1) {
            throw new InvalidRequestException("More than one patient has identifier " + system + "|" + parts[1]);
        }
        return view((Patient) found.get(0), request);
    }

    private Bundle view(Patient patient, RequestDetails request) {
        String patientId = patient.getIdElement().toUnqualifiedVersionless().getValue();
        SearchParameterMap contracts = SearchParameterMap.newSynchronous()
                .add("subject", new ReferenceParam(patientId))
                .add("status", new TokenParam("active"))
                .add("category", new TokenParam(CATEGORY_SYSTEM, CATEGORY_CODE));
        IBundleProvider found = daoRegistry.getResourceDao(CarePlan.class).search(contracts, request);

        Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET);
        Map<String, Resource> included = new LinkedHashMap<>();
        Deque<Resource> toFollow = new ArrayDeque<>();
        for (IBaseResource contract : found.getAllResources()) {
            bundle.addEntry().setResource((Resource) contract).getSearch().setMode(SearchEntryMode.MATCH);
            included.put(key(contract.getIdElement()), (Resource) contract);
            toFollow.add((Resource) contract);
        }
        bundle.setTotal(bundle.getEntry().size());
        if (bundle.getEntry().isEmpty()) {
            return bundle;
        }
        included.put(key(patient.getIdElement()), patient);
        bundle.addEntry().setResource(patient).getSearch().setMode(SearchEntryMode.INCLUDE);
        FhirTerser terser = fhirContext.newTerser();
        for (int depth = 0; depth < DEPTH && !toFollow.isEmpty(); depth++) {
            Deque<Resource> next = new ArrayDeque<>();
            for (Resource resource : toFollow) {
                for (Reference reference : terser.getAllPopulatedChildElementsOfType(resource, Reference.class)) {
                    IIdType target = reference.getReferenceElement();
                    if (!target.hasIdPart() || !FOLLOWED.contains(target.getResourceType()) || target.isAbsolute()) {
                        continue;
                    }
                    String key = target.getResourceType() + "/" + target.getIdPart();
                    if (included.containsKey(key)) {
                        continue;
                    }
                    Resource read = read(target, request);
                    included.put(key, read);
                    if (read != null) {
                        bundle.addEntry().setResource(read).getSearch().setMode(SearchEntryMode.INCLUDE);
                        next.add(read);
                    }
                }
            }
            toFollow = next;
        }
        bundle.getEntry()
                .forEach(entry -> entry.setFullUrl(entry.getResource()
                        .getIdElement()
                        .toUnqualifiedVersionless()
                        .getValue()));
        return bundle;
    }

    private Resource read(IIdType target, RequestDetails request) {
        try {
            return (Resource) daoRegistry
                    .getResourceDao(target.getResourceType())
                    .read(target.toUnqualifiedVersionless(), request);
        } catch (ResourceNotFoundException | ResourceGoneException e) {
            return null;
        }
    }

    private static String key(IIdType id) {
        return id.getResourceType() + "/" + id.getIdPart();
    }
}
