package se.patientkontrakt.fhir.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import se.patientkontrakt.fhir.security.TestTokens;

/**
 * Care users' tokens for the read benchmark, one per care unit, from the test issuer
 * ({@link TestTokens}): a practitioner's commission (medarbetaruppdrag) at the unit, for
 * <i>Vård och behandling</i>, with {@code user/*.read}. A token is signed once per unit and used
 * until it is past half its lifetime, so signing costs the measurement nothing.
 */
final class CareTokens {

    private record Issued(String token, Instant renewAt) {}

    private final Duration lifetime;
    private final Map<String, Issued> byUnit = new ConcurrentHashMap<>();

    CareTokens(Duration lifetime) {
        this.lifetime = lifetime;
    }

    /** A token of a care user at the unit with this HSA-id. */
    String of(String unit) {
        Instant now = Instant.now();
        return byUnit.compute(
                        unit,
                        (key, issued) -> issued != null && now.isBefore(issued.renewAt()) ? issued : issue(key, now))
                .token();
    }

    private Issued issue(String unit, Instant now) {
        // An HSA-id of a person at the unit: the care giver's prefix and a suffix made from the unit's.
        String employee = unit.replace("-", "-B");
        String token = TestTokens.token(c -> TestTokens.commission(c)
                .subject("hsa-" + employee)
                .claim("employeeHsaId", employee)
                .claim("healthCareUnitHsaId", unit)
                .claim("healthCareProviderHsaId", SyntheticPopulation.careGiverOfUnit(unit))
                .claim("scope", "openid user/*.read")
                .expirationTime(Date.from(now.plus(lifetime))));
        return new Issued(token, now.plus(lifetime.dividedBy(2)));
    }
}
