package se.patientkontrakt.fhir.document;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.util.FhirTerser;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.springframework.stereotype.Component;
import se.patientkontrakt.fhir.hapi.ResourceLoader;

/**
 * What a contract points to, loaded for the reader: the patient, the contact team, the goals, the
 * fixed contacts' PractitionerRoles with their Practitioners and Organizations, and the other
 * plans (SIP). References are followed up to {@value #DEPTH} steps from the starting resources and
 * only to the types a contract shows; each level's references are resolved and loaded together
 * (one id lookup and one load of the current versions, whatever their types), and every resource
 * passes the access rules ({@link ResourceLoader#show}) as a read of it would. Used by the portal
 * view, the national view ({@code $getcareplans}) and the contract as a document ({@code $document}).
 */
@Component
public class ContractGraph {

    public static final int DEPTH = 3;
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
    private final ResourceLoader loader;

    ContractGraph(FhirContext fhirContext, ResourceLoader loader) {
        this.fhirContext = fhirContext;
        this.loader = loader;
    }

    /**
     * The resources {@code roots} point to, level by level, that the reader may see, keyed
     * {@code Type/id}; none of {@code known} (already shown, keyed the same way) is loaded again.
     * The roots themselves are not in the answer.
     */
    public Map<String, Resource> around(List<? extends Resource> roots, Set<String> known, RequestDetails request) {
        Set<String> seen = new HashSet<>(known);
        roots.forEach(root -> seen.add(key(root.getIdElement())));
        Map<String, Resource> found = new LinkedHashMap<>();
        FhirTerser terser = fhirContext.newTerser();
        List<? extends Resource> toFollow = roots;
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
            List<Resource> level = loader.show(loader.loadStored(loader.keysOf(targets), request), request);
            level.forEach(resource -> found.put(key(resource.getIdElement()), resource));
            toFollow = level;
        }
        return found;
    }

    /** The resource a reference names among {@code resources}, if the reader was shown it. */
    public static Optional<Resource> resolve(Reference reference, Map<String, Resource> resources) {
        IIdType target = reference.getReferenceElement();
        return target.hasIdPart() && target.hasResourceType()
                ? Optional.ofNullable(resources.get(key(target)))
                : Optional.empty();
    }

    /** {@code Type/id}, without base or version. */
    public static String key(IIdType id) {
        return id.getResourceType() + "/" + id.getIdPart();
    }
}
