package se.patientkontrakt.fhir.server;

/**
 * An interceptor of this service that sees the requests clients send to {@code /fhir}, and the
 * storage hooks ({@code STORAGE_*}) of those requests only: not the server's own writes (the
 * access log it writes, a Subscription HAPI activates, the definitions stored at start-up).
 * {@link RequestPipeline} registers every such bean on the RestfulServer, and nothing else
 * registers interceptors; {@code docs/ARCHITECTURE.md} shows them in order.
 */
public interface RestInterceptor {}
