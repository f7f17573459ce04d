package se.patientkontrakt.fhir.contract;

import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.ResourceVersionConflictException;
import java.util.Optional;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import se.patientkontrakt.fhir.server.OperationOutcomeWriter;

/**
 * The answer to a write that would store a second Patient with an identifier another Patient
 * holds: <b>409 Conflict</b> (the request clashes with what is stored, RFC 9110 section 15.5.10)
 * with an OperationOutcome issue of code {@code duplicate} at {@code Patient.identifier} that says
 * which number, which Patient holds it, and what to do instead.
 *
 * <p>The exception is deliberately not HAPI's {@link ResourceVersionConflictException}: HAPI
 * retries a write that failed with that one (see {@code IfMatchPreconditionInterceptor}), and a
 * number that is taken stays taken.
 *
 * <p>{@link OnePatientPerIdentifierInterceptor} finds the clash before storage, also between two
 * Patients of one transaction Bundle. When it cannot (two such writes at the same moment), the
 * unique index of {@code SearchParameter/pk-patient-identifier-unique} stops the
 * write in the database, and HAPI says so in its own words (message code HAPI-0825), which
 * {@link #fromHapi} puts into these.
 */
public final class DuplicatePatientIdentifier {

    private static final int CONFLICT = 409;

    /** HAPI's code for a unique index constraint that failed in the database. */
    private static final String CONSTRAINT_FAILED = "HAPI-0825";

    private DuplicatePatientIdentifier() {}

    /** The refusal of a Patient with {@code system|value}, which {@code holder} already holds. */
    public static BaseServerResponseException heldBy(String holder, String system, String value) {
        String identifier = system + "|" + value;
        return conflict(holder + " already holds " + describe(system, value)
                + ": one person is one Patient here, so a second Patient with it is not stored. Update " + holder
                + " instead (find it with Patient?identifier=" + identifier + ").");
    }

    /** The refusal of a transaction Bundle in which two Patients have {@code system|value}. */
    public static BaseServerResponseException twiceInOneTransaction(String system, String value) {
        return conflict("Two Patients in this transaction have " + describe(system, value)
                + ": one person is one Patient here, so neither is stored, nor anything else in the transaction."
                + " Send the patient once and refer to that entry from the others.");
    }

    /** The same refusal for HAPI's words about a failed unique index constraint, if they are that. */
    public static Optional<BaseServerResponseException> fromHapi(BaseServerResponseException hapi) {
        String message = hapi.getMessage();
        if (message == null || !message.contains(CONSTRAINT_FAILED)) {
            return Optional.empty();
        }
        return Optional.of(conflict("Another Patient with the same identifier was stored at the same moment by"
                + " another request: one person is one Patient here, so this second Patient is not stored."
                + " Search Patient?identifier={system}|{value} and update the Patient found."));
    }

    /** {@code personnummer 191212121212}, or the identifier as {@code system|value}. */
    static String describe(String system, String value) {
        if (SwedishIdentifiers.PERSONNUMMER.equals(system)) {
            return "personnummer " + value;
        }
        if (SwedishIdentifiers.SAMORDNINGSNUMMER.equals(system)) {
            return "samordningsnummer " + value;
        }
        return "the identifier " + system + "|" + value;
    }

    private static BaseServerResponseException conflict(String diagnostics) {
        OperationOutcome outcome = OperationOutcomeWriter.error(IssueType.DUPLICATE, diagnostics, "Patient.identifier");
        return new BaseServerResponseException(CONFLICT, diagnostics, outcome) {};
    }
}
