package se.patientkontrakt.fhir.server;

/**
 * The stages of the request pipeline, as {@code @Hook} orders: at every hook point the access
 * decisions run first, then the rules about content, then what follows from a request that was
 * let through. Each interceptor places its hooks in a stage with an offset of its own
 * ({@code order = HookOrder.ACCESS + 20}); no two hooks at one hook point share an order
 * ({@code RequestPipelineTest} fails if they do), so the order in which they run is never left to
 * the order of registration. {@code docs/ARCHITECTURE.md} lists them.
 */
public final class HookOrder {

    /** Who may do this at all: tokens, scopes, the patient boundary. */
    public static final int ACCESS = -1000;

    /** What the request or its content must be: profiles, identifiers, versions. */
    public static final int CONTENT = 0;

    /** What follows from a request that was let through: the access log, durability, notifications. */
    public static final int EFFECTS = 1000;

    /** How a response is presented: narrative, headers, other formats; the last to touch it. */
    public static final int PRESENTATION = 2000;

    private HookOrder() {}
}
