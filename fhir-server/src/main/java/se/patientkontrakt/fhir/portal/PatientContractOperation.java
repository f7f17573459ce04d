package se.patientkontrakt.fhir.portal;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.util.FhirTerser;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
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
import se.patientkontrakt.fhir.contract.SwedishIdentifiers;
import se.patientkontrakt.fhir.contract.Vocabulary;
import se.patientkontrakt.fhir.hapi.ResourceLoader;
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
    private final ResourceLoader loader;

    PatientContractOperation(FhirContext fhirContext, DaoRegistry daoRegistry, ResourceLoader loader) {
        this.fhirContext = fhirContext;
        this.daoRegistry = daoRegistry;
        this.loader = loader;
    }

    @Operation(name = "$patientkontrakt", typeName = "Patient", idempotent = true)
    public Bundle forPatient(@IdParam IdType id, RequestDetails request) {
        IIdType patientId = new IdType("Patient", id.getIdPart());
        return loader.inReadOnlyTransaction(request, () -> {
            Optional<Bundle> view = loader.keysOf(List.of(patientId)).stream()
                    .findFirst()
                    .flatMap(key -> view(key, id.getIdPart(), request));
            // Unknown, deleted or withheld: HAPI's own read gives the answer it gives a read.
            return view.orElseGet(() -> {
                daoRegistry.getResourceDao(Patient.class).read(patientId, request);
                throw new ResourceNotFoundException(patientId);
            });
        });
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
        String notFound = "No patient with identifier " + system + "|" + parts[1];
        return loader.inReadOnlyTransaction(request, () -> {
            List<ResourceLoader.Key> found = loader.matches(
                    "Patient",
                    Patient.class,
                    SearchParameterMap.newSynchronous("identifier", new TokenParam(system, parts[1])),
                    request);
            if (found.size() > 1) {
                throw new InvalidRequestException("More than one patient has identifier " + system + "|" + parts[1]);
            }
            return found.stream()
                    .findFirst()
                    .flatMap(key -> loader.idPartOf(key).flatMap(idPart -> view(key, idPart, request)))
                    .orElseThrow(() -> new ResourceNotFoundException(notFound));
        });
    }

    /**
     * The contracts, then the resources they point to, a level at a time: each level's
     * references are resolved and loaded together (one id lookup and one load of the current
     * versions, whatever their types). Empty when the patient itself is not shown: deleted since
     * its key was found, or withheld by an access rule.
     */
    private Optional<Bundle> view(ResourceLoader.Key patientKey, String patientFhirId, RequestDetails request) {
        // All the patient's plans, told apart below. Searched with status and category as well,
        // H2 starts its join from every active CarePlan's status row (scanning 100,000 of them at
        // 100,000 contracts, 300-600 ms for a patient not in its cache) instead of from the one
        // patient's references; PostgreSQL plans either well.
        SearchParameterMap plans =
                SearchParameterMap.newSynchronous().add("subject", new ReferenceParam("Patient/" + patientFhirId));
        List<ResourceLoader.Key> keys = new ArrayList<>();
        keys.add(patientKey);
        keys.addAll(loader.matches("CarePlan", CarePlan.class, plans, request));
        List<IBaseResource> stored = loader.loadStored(keys, request);
        // Before the access rules see them: only the active contracts are the view's to show.
        stored.removeIf(resource -> resource instanceof CarePlan plan && !isActiveContract(plan));
        List<Resource> loaded = loader.show(stored, request);
        // The only Patient among the keys; the others are contracts.
        Optional<Resource> patient =
                loaded.stream().filter(Patient.class::isInstance).findFirst();
        if (patient.isEmpty()) {
            return Optional.empty();
        }

        Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET);
        Set<String> seen = new HashSet<>();
        List<Resource> toFollow = new ArrayList<>();
        for (Resource contract : loaded) {
            if (contract instanceof CarePlan) {
                bundle.addEntry().setResource(contract).getSearch().setMode(SearchEntryMode.MATCH);
                seen.add(key(contract.getIdElement()));
                toFollow.add(contract);
            }
        }
        bundle.setTotal(bundle.getEntry().size());
        if (bundle.getEntry().isEmpty()) {
            return Optional.of(bundle);
        }
        seen.add(key(patient.get().getIdElement()));
        bundle.addEntry().setResource(patient.get()).getSearch().setMode(SearchEntryMode.INCLUDE);
        FhirTerser terser = fhirContext.newTerser();
        for (int depth = 0; depth < DEPTH && !toFollow.isEmpty(); depth++) {
            List<IIdType> targets = new ArrayList<>();
            for (Resource resource : toFollow) {
                for (Reference reference : terser.getAllPopulatedChildElementsOfType(resource, Reference.class)) {
                    IIdType target = reference.getReferenceElement();
                    if (target.hasIdPart()
                            && FOLLOWED.contains(target.getResourceType())
                            && !target.isAbsolute()
                            && seen.add(key(target))) {
                        targets.add(target.toUnqualifiedVersionless());
                    }
                }
            }
            toFollow = loader.show(loader.loadStored(loader.keysOf(targets), request), request);
            toFollow.forEach(
                    read -> bundle.addEntry().setResource(read).getSearch().setMode(SearchEntryMode.INCLUDE));
        }
        bundle.getEntry()
                .forEach(entry -> entry.setFullUrl(entry.getResource()
                        .getIdElement()
                        .toUnqualifiedVersionless()
                        .getValue()));
        return Optional.of(bundle);
    }

    /** What {@code status=active&category=pk-careplan-category|patientkontrakt} matches. */
    private static boolean isActiveContract(CarePlan plan) {
        return plan.getStatus() == CarePlan.CarePlanStatus.ACTIVE
                && plan.getCategory().stream()
                        .flatMap(category -> category.getCoding().stream())
                        .anyMatch(coding -> Vocabulary.CAREPLAN_CATEGORY.equals(coding.getSystem())
                                && Vocabulary.CATEGORY_PATIENTKONTRAKT.equals(coding.getCode()));
    }

    private static String key(IIdType id) {
        return id.getResourceType() + "/" + id.getIdPart();
    }
}
