package se.patientkontrakt.fhir.security;

import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import se.patientkontrakt.fhir.server.OperationOutcomeWriter;

/**
 * What a care user declares for one request under Patientdatalagen, as a Swedish EHR asks it
 * before it opens a record: a care relationship (<i>aktuell vårdrelation</i>, header {@value
 * #CARE_RELATIONSHIP_HEADER}) or emergency access (<i>nödåtkomst</i>, header {@value
 * #EMERGENCY_ACCESS_HEADER}), each with the user's reason in words. The access log records the
 * declaration and its reason on every entry of the request, for the care giver's review and for
 * the patient ({@code docs/access.md}).
 *
 * @param kind what is declared
 * @param reason the user's reason, as they gave it (trimmed)
 */
public record PdlDeclaration(Kind kind, String reason) {

    public static final String CARE_RELATIONSHIP_HEADER = "PDL-Care-Relationship";
    public static final String EMERGENCY_ACCESS_HEADER = "PDL-Emergency-Access";

    /** Long enough for a sentence; an access log is not a record of care. */
    public static final int MAX_REASON = 500;

    private static final String KEY = PdlDeclaration.class.getName();

    /** The two declarations, with the code the access log gives each. */
    public enum Kind {
        CARE_RELATIONSHIP(CARE_RELATIONSHIP_HEADER, "vardrelation", "Intygad vårdrelation"),
        EMERGENCY_ACCESS(EMERGENCY_ACCESS_HEADER, "nodatkomst", "Nödåtkomst");

        private final String header;
        private final String code;
        private final String display;

        Kind(String header, String code, String display) {
            this.header = header;
            this.code = code;
            this.display = display;
        }

        public String header() {
            return header;
        }

        public String code() {
            return code;
        }

        public String display() {
            return display;
        }
    }

    /**
     * The declarations the request carries, each checked: one value, a reason of 1 to {@value
     * #MAX_REASON} characters. A sub-request of a batch or transaction has its Bundle's headers.
     *
     * @throws InvalidRequestException (400) naming the header, when a declaration is malformed
     */
    public static List<PdlDeclaration> of(RequestDetails request) {
        List<PdlDeclaration> declarations = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            declared(request, kind).ifPresent(declarations::add);
        }
        return declarations;
    }

    /**
     * The declarations {@link PdlDeclarationInterceptor} accepted for this request (and its
     * sub-requests, which share its user data); none when it carried none or was refused.
     */
    @SuppressWarnings("unchecked")
    public static List<PdlDeclaration> accepted(RequestDetails request) {
        return (List<PdlDeclaration>) request.getUserData().getOrDefault(KEY, List.of());
    }

    static void accept(RequestDetails request, List<PdlDeclaration> declarations) {
        request.getUserData().put(KEY, List.copyOf(declarations));
    }

    private static Optional<PdlDeclaration> declared(RequestDetails request, Kind kind) {
        List<String> values = request.getHeaders(kind.header());
        if (values == null || values.isEmpty()) {
            return Optional.empty();
        }
        if (values.size() > 1) {
            throw invalid(kind, kind.header() + " is sent once per request, with one reason");
        }
        String reason = values.get(0) == null ? "" : values.get(0).strip();
        if (reason.isEmpty()) {
            throw invalid(
                    kind,
                    kind.header() + " needs a reason in words: why "
                            + (kind == Kind.EMERGENCY_ACCESS
                                    ? "the patient's data must be read without their consent"
                                    : "you are in a care relationship with the patient"));
        }
        if (reason.length() > MAX_REASON) {
            throw invalid(kind, kind.header() + " gives a reason of at most " + MAX_REASON + " characters");
        }
        return Optional.of(new PdlDeclaration(kind, reason));
    }

    /** A 400 whose OperationOutcome locates the problem at the header ({@code http.<name>}). */
    static InvalidRequestException invalid(Kind kind, String message) {
        // R4 names an HTTP parameter or header as "http." + its name in location (not expression).
        return new InvalidRequestException(
                message,
                new OperationOutcome()
                        .addIssue(OperationOutcomeWriter.issue(IssueType.INVALID, message, null)
                                .addLocation("http." + kind.header())));
    }
}
