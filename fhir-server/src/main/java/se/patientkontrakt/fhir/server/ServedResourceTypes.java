package se.patientkontrakt.fhir.server;

import java.util.Set;

/**
 * The resource types the FHIR endpoint serves: only those get an endpoint and appear in
 * {@code /metadata}; any other type answers as one the server does not know. The feature that
 * knows what the service is for supplies the bean; HAPI's storage keeps its own DAOs for every type,
 * since its internal services look some of them up.
 */
@FunctionalInterface
public interface ServedResourceTypes {

    Set<String> types();
}
