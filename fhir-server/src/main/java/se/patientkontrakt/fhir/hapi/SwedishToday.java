package se.patientkontrakt.fhir.hapi;

import java.time.LocalDate;

/**
 * FHIRPath's {@code today()} as the day in Sweden. The R4 and R5 FHIRPath engines (HAPI's search
 * parameter extractor, the compiled checker, the HL7 validator) all take today from the JVM's
 * time zone, which on a server is usually UTC, and none lets the caller set it: from midnight in
 * Sweden until one or two in the morning they would still see yesterday. So each engine is given
 * the expression with today written in as a date literal, the day taken from the server's clock
 * ({@code JpaConfig.clock()}, in Sweden's zone).
 *
 * <p>The profiles' invariants pk-6, pk-7 and pk-8 and the search parameters {@code
 * fast-vardkontakt}, {@code fast-lakarkontakt} and {@code current-member} use {@code today()}; the
 * pages ({@code inForce} in {@code sidor/fhir.js}) take the day in Sweden too.
 */
final class SwedishToday {

    static final String TODAY = "today()";

    private SwedishToday() {}

    /** Whether the FHIRPath expression asks for today. */
    static boolean asksForToday(String expression) {
        return expression != null && expression.contains(TODAY);
    }

    /** The expression with {@code today()} replaced by the given day as a date literal. */
    static String writtenFor(String expression, LocalDate day) {
        return expression.replace(TODAY, "(@" + day + ")");
    }
}
