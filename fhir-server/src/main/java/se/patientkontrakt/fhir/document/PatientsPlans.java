package se.patientkontrakt.fhir.document;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.contract.SwedishIdentifiers;
import se.patientkontrakt.fhir.hapi.ResourceLoader;

/**
 * A patient and their plans, as the patient-level operations ({@code $patientkontrakt},
 * {@code $getcareplans}) find them: by the Patient's id or by an identifier (personnummer), in one
 * read-only transaction, through the access rules. A patient that is unknown, deleted or withheld
 * from the reader gets the answer a read of it gets (404), the same for each.
 */
@Component
public class PatientsPlans {

    /** A patient the reader may see, and those of their plans the view wants that the reader may see. */
    public record Found(Patient patient, List<CarePlan> plans) {}

    private final DaoRegistry daoRegistry;
    private final ResourceLoader loader;

    PatientsPlans(DaoRegistry daoRegistry, ResourceLoader loader) {
        this.daoRegistry = daoRegistry;
        this.loader = loader;
    }

    /** The view of the patient {@code id}, or HAPI's answer to a read of it when it is not shown. */
    public <T> T byId(IdType id, Predicate<CarePlan> wanted, RequestDetails request, Function<Found, T> view) {
        IIdType patientId = new IdType("Patient", id.getIdPart());
        return loader.inReadOnlyTransaction(request, () -> {
            Optional<T> answer = loader.keysOf(List.of(patientId)).stream()
                    .findFirst()
                    .flatMap(key -> find(key, id.getIdPart(), wanted, request))
                    .map(view);
            // Unknown, deleted or withheld: HAPI's own read gives the answer it gives a read.
            return answer.orElseGet(() -> {
                daoRegistry.getResourceDao(Patient.class).read(patientId, request);
                throw new ResourceNotFoundException(patientId);
            });
        });
    }

    /** The view of the one patient with {@code identifier} ({@code system|value}). */
    public <T> T byIdentifier(
            StringType identifier, Predicate<CarePlan> wanted, RequestDetails request, Function<Found, T> view) {
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
                    .flatMap(key -> loader.idPartOf(key).flatMap(idPart -> find(key, idPart, wanted, request)))
                    .map(view)
                    .orElseThrow(() -> new ResourceNotFoundException(notFound));
        });
    }

    /**
     * The patient and the plans {@code wanted} picks, loaded together. Empty when the patient itself
     * is not shown: deleted since its key was found, or withheld by an access rule.
     */
    private Optional<Found> find(
            ResourceLoader.Key patientKey, String patientFhirId, Predicate<CarePlan> wanted, RequestDetails request) {
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
        // Before the access rules see them: only the plans the view shows are weighed.
        stored.removeIf(resource -> resource instanceof CarePlan plan && !wanted.test(plan));
        List<Resource> loaded = loader.show(stored, request);
        // The only Patient among the keys; the others are plans.
        Optional<Patient> patient = loaded.stream()
                .filter(Patient.class::isInstance)
                .map(Patient.class::cast)
                .findFirst();
        List<CarePlan> shown = loaded.stream()
                .filter(CarePlan.class::isInstance)
                .map(CarePlan.class::cast)
                .toList();
        return patient.map(p -> new Found(p, shown));
    }
}
