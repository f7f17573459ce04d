package se.patientkontrakt.fhir.security;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeSearchParam;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * Which resources are patient data, and whose: a Patient, and every resource type in the
 * <a href="https://hl7.org/fhir/R4/compartmentdefinition-patient.html">Patient compartment</a>,
 * belongs to the patients the compartment's search parameters point at.
 */
public final class PatientData {

    private final FhirContext fhirContext;

    public PatientData(FhirContext fhirContext) {
        this.fhirContext = fhirContext;
    }

    public boolean isPatientData(String resourceType) {
        if ("Patient".equals(resourceType)) {
            return true;
        }
        if (!fhirContext.getResourceTypes().contains(resourceType)) {
            return false;
        }
        List<RuntimeSearchParam> params =
                fhirContext.getResourceDefinition(resourceType).getSearchParamsForCompartmentName("Patient");
        return params != null && !params.isEmpty();
    }

    /** The patient a resource is about ({@code Patient/{id}}), if it is patient data of one patient. */
    public Optional<String> patientOf(IBaseResource resource) {
        String type = fhirContext.getResourceType(resource);
        if ("Patient".equals(type)) {
            return Optional.of("Patient/" + resource.getIdElement().getIdPart());
        }
        if (!isPatientData(type)) {
            return Optional.empty();
        }
        return fhirContext.newTerser().getCompartmentOwnersForResource("Patient", resource, Set.of()).stream()
                .filter(id -> id.hasIdPart() && "Patient".equals(id.getResourceType()))
                .map(id -> "Patient/" + id.getIdPart())
                .findFirst();
    }
}
