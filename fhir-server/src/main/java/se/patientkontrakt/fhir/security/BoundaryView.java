package se.patientkontrakt.fhir.security;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;

/**
 * What one token may see, worked out for one request, as {@link PatientBoundary} asks it at every
 * place data leaves the server: a patient's ({@link PatientView}) or, under Patientdatalagen, a care
 * user's or care giver's system's ({@link CareView}).
 */
interface BoundaryView {

    /** Who the view is for, as a refusal names it ("A patient token"). */
    String who();

    /** Whether the token may see this resource (this version of it). */
    boolean mayRead(IBaseResource resource);

    /**
     * Whether the token may know of the resource with this id, for a reference that leaves the
     * server without the resource (a {@code Location}, a Bundle entry's response).
     */
    boolean mayKnowOf(IIdType id);

    /**
     * The search parameters that hold a search of the type, with the client's parameters, to what
     * the token may see: exactly the rule of {@link #mayRead}, so that a search's total and {@code
     * _summary=count} count only that. Empty for what anyone may search; absent for a search the
     * token may not make at all.
     */
    Optional<List<Parameter>> narrowing(String type, Map<String, String[]> params);

    /** Why the view refuses this search parameter, if it does: it reaches across resources. */
    Optional<String> refusesParameter(String name);

    /** One search parameter with one value (an OR list where it has commas). */
    record Parameter(String name, String value) {}
}
