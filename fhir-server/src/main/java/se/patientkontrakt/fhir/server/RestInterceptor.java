package se.patientkontrakt.fhir.server;

/**
 * Marks a HAPI {@code @Interceptor} bean that belongs on the REST endpoint. HAPI's own storage
 * interceptors are registered by HAPI; only beans carrying this marker are added to the
 * RestfulServer, so what the endpoint runs is visible in one search of the code.
 */
public interface RestInterceptor {}
