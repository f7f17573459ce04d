package se.patientkontrakt.fhir.security;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The commission (medarbetaruppdrag) a care token acts under, as its identity provider vouches for
 * it: the care giver (vårdgivare) and care unit (vårdenhet) by HSA-id, and, for a person, their own
 * HSA-id and the commission's purpose. A system's token (an EHR integration) names the care giver
 * and unit it works for and no person.
 *
 * @param careGiver the care giver's HSA-id
 * @param unit the care unit's HSA-id
 * @param employee the person's HSA-id, absent for a system
 * @param purpose the commission's purpose (syfte), e.g. {@code Vård och behandling}, if given
 */
public record Commission(String careGiver, String unit, Optional<String> employee, Optional<String> purpose) {

    /**
     * An HSA-id: {@code SE}, the organisation number (ten digits), and for units and people a
     * suffix ({@code SE2321000073-VCOS01}).
     */
    static final Pattern HSA_ID = Pattern.compile("SE[0-9]{10}(-[A-Za-z0-9]{1,31})?");

    private static final int MAX_PURPOSE = 100;

    /** The commission in the claims, if they carry a care giver and a unit. */
    static Optional<Commission> from(Map<String, Object> claims, PdlProperties.Claims names) {
        Optional<String> careGiver = hsaId(claims, names.careGiver());
        Optional<String> unit = hsaId(claims, names.unit());
        if (careGiver.isEmpty() || unit.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Commission(
                careGiver.get(), unit.get(), hsaId(claims, names.employee()), text(claims, names.purpose())));
    }

    /**
     * What is wrong with the commission claims, if anything: a token for a person needs all four, a
     * system's token the care giver and unit; each HSA-id must look like one. That the unit is
     * the care giver's is the identity provider's word, as the token's signature vouches for it.
     */
    static Optional<String> problem(Map<String, Object> claims, PdlProperties.Claims names, boolean person) {
        for (String name : person
                ? new String[] {names.employee(), names.unit(), names.careGiver()}
                : new String[] {names.unit(), names.careGiver()}) {
            Object value = claims.get(name);
            if (value == null) {
                return Optional.of("The token names no " + describe(name, names) + " ('" + name
                        + "'): a care token acts under a commission (medarbetaruppdrag)");
            }
            if (!(value instanceof String text) || !HSA_ID.matcher(text).matches()) {
                return Optional.of("The token's '" + name + "' is not one HSA-id (SE, ten digits, an optional suffix)");
            }
        }
        if (person && text(claims, names.purpose()).isEmpty()) {
            return Optional.of("The token names no purpose of its commission ('" + names.purpose() + "')");
        }
        Object purpose = claims.get(names.purpose());
        if (purpose != null && !(purpose instanceof String text && !text.isBlank() && text.length() <= MAX_PURPOSE)) {
            return Optional.of("The token's '" + names.purpose() + "' must be one short text");
        }
        return Optional.empty();
    }

    private static String describe(String name, PdlProperties.Claims names) {
        if (name.equals(names.employee())) {
            return "HSA-id of its user";
        }
        return name.equals(names.unit()) ? "care unit (vårdenhet)" : "care giver (vårdgivare)";
    }

    private static Optional<String> hsaId(Map<String, Object> claims, String name) {
        return Optional.ofNullable(claims.get(name))
                .filter(String.class::isInstance)
                .map(String.class::cast)
                .filter(id -> HSA_ID.matcher(id).matches());
    }

    private static Optional<String> text(Map<String, Object> claims, String name) {
        return Optional.ofNullable(claims.get(name))
                .filter(String.class::isInstance)
                .map(String.class::cast)
                .filter(t -> !t.isBlank() && t.length() <= MAX_PURPOSE);
    }
}
