package se.patientkontrakt.fhir.server;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import org.springframework.stereotype.Component;

/**
 * Refuses with 400, before any search or history starts, the controls HAPI takes in and then fails
 * on with 500, in words that name the parameter and what it must be:
 *
 * <ul>
 *   <li>{@code _offset} (<a href="https://hl7.org/fhir/R4/search.html#count">search.html#count</a>)
 *       below 0 reaches the database as a negative offset, and one near 2<sup>31</sup> overflows
 *       HAPI's row limit ({@code _offset} + {@code _count}) into a query it cannot bind: it must be
 *       a whole number from 0 to {@value #MAX_OFFSET}, far beyond any result this server holds.
 *   <li>{@code _filter} (<a href="https://hl7.org/fhir/R4/search_filter.html">search_filter.html</a>)
 *       is off on this server, but HAPI parses the expression before it says so, and an expression
 *       it cannot parse ({@code _filter=(}, an empty one) fails on its search worker. It is refused
 *       whatever it holds.
 *   <li>{@code near} (Location) must be {@code latitude|longitude}, optionally with
 *       {@code |distance|units}: HAPI checks it on its search worker, which reports any failure as
 *       500.
 * </ul>
 */
@Component
@Interceptor
class SearchControlsInterceptor implements RestInterceptor {

    static final int MAX_OFFSET = 100_000_000;

    private static final String NUMBER = "-?\\d+(\\.\\d+)?";
    private static final java.util.regex.Pattern NEAR =
            java.util.regex.Pattern.compile(NUMBER + "\\|" + NUMBER + "(\\|" + NUMBER + "(\\|[^|,]+)?)?");

    @Hook(value = Pointcut.SERVER_INCOMING_REQUEST_POST_PROCESSED, order = HookOrder.CONTENT + 5)
    void refuseControlsHapiFailsOn(RequestDetails request) {
        if (request.getParameters().containsKey("_filter")) {
            throw new InvalidRequestException("Search parameter _filter is not supported by this server: search with"
                    + " the resource type's search parameters, listed in /metadata");
        }
        for (String near : request.getParameters().getOrDefault("near", new String[0])) {
            if (near != null && !NEAR.matcher(near.trim()).matches()) {
                throw new InvalidRequestException("Search parameter near must be latitude|longitude, optionally"
                        + " |distance|units (e.g. 57.2|16.4|10|km), not '" + near + "'");
            }
        }
        String[] offsets = request.getParameters().get("_offset");
        if (offsets == null) {
            return;
        }
        for (String offset : offsets) {
            if (offset != null && !offset.isBlank() && !withinRange(offset.trim())) {
                throw new InvalidRequestException("Search parameter _offset must be a whole number from 0 to "
                        + MAX_OFFSET + ", not '" + offset + "'");
            }
        }
    }

    private static boolean withinRange(String offset) {
        String digits = offset.replaceFirst("^0+(?=\\d)", "");
        return digits.matches("\\d{1,9}") && Integer.parseInt(digits) <= MAX_OFFSET;
    }
}
