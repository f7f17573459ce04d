package se.patientkontrakt.fhir.server;

/**
 * Marks a bean that serves FHIR operations of this service (methods annotated with HAPI's
 * {@code @Operation}); every such bean is registered on the RestfulServer.
 */
public interface RestProvider {}
