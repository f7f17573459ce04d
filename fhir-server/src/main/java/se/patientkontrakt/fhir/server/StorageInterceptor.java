package se.patientkontrakt.fhir.server;

/**
 * An interceptor of this service that sees every storage operation ({@code STORAGE_*},
 * {@code SUBSCRIPTION_*}), the server's own writes included: a rule that must hold for whatever
 * is stored, however it got there. {@link RequestPipeline} registers every such bean with HAPI's
 * storage interceptor service. Its {@code SERVER_*} hooks, if any, would never run.
 */
public interface StorageInterceptor {}
