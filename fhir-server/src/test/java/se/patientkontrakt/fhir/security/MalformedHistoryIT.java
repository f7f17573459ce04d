package se.patientkontrakt.fhir.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A history whose {@code _since} or {@code _at} is not an instant is refused with an
 * OperationOutcome (400 naming what is invalid, or 403 where the token may not read that history
 * at all) for every kind of token and two history levels: never a 500 or a page, whichever rule
 * set weighs the request first.
 */
class MalformedHistoryIT extends SecuredFhirIT {

    private static final List<String> TOKENS = List.of(
            EHR,
            TestTokens.regionWide("system/*.read"),
            TestTokens.token(
                    c -> c.subject("portal-backend").claim("azp", "portal-1177").claim("scope", "system/*.read")),
            TestTokens.practitioner("user/*.read"));

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/_history?_since=2026-12-01T00:00:00%252B00:00",
                "/_history?_since=yesterday",
                "/CarePlan/_history?_since=2026-13-45",
                "/CarePlan/_history?_at=not-a-date",
                "/_history?_at=2026-12-01T25:00:00Z"
            })
    void aMalformedInstantIs400NamingIt(String path) {
        storedContract();
        for (String token : TOKENS) {
            Response answer = as(token).when().get(path);
            assertThat(answer.statusCode()).as(path).isIn(400, 403);
            assertThat(answer.asString()).as(path).contains("OperationOutcome").doesNotContain("Exception");
            if (answer.statusCode() == 400) {
                // HAPI's words: "Invalid date/time format: …" or "Invalid prefix: …" (_at takes a prefix).
                assertThat(answer.asString()).as(path).containsAnyOf("date", "Invalid");
            }
        }
    }
}
