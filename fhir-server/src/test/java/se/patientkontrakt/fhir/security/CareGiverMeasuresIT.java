package se.patientkontrakt.fhir.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.ContractFixture;

/**
 * The follow-up measures under Patientdatalagen: a care token's report counts the contracts its
 * care giver owns; a region-wide client's counts every care giver's.
 */
class CareGiverMeasuresIT extends SecuredFhirIT {

    private static final String MEASURE =
            "/Measure/pk-antal-patientkontrakt/$evaluate-measure?periodStart=2026-01-01&periodEnd=2026-12-31";

    /** Nybro kommun's home care system: another care giver than the region's. */
    private static final String NYBRO_KOMMUN = "SE2120009999";

    private static final String NYBRO = TestTokens.token(c -> c.subject("nybro-omsorg")
            .claim("azp", "nybro-omsorg")
            .claim("scope", "system/*.cruds")
            .claim("healthCareUnitHsaId", NYBRO_KOMMUN + "-HTNY01")
            .claim("healthCareProviderHsaId", NYBRO_KOMMUN));

    private static final String KALMAR_DOCTOR = TestTokens.practitioner("user/CarePlan.rs");

    private static final String FOLLOW_UP = TestTokens.token(
            c -> c.subject("uppfoljning").claim("azp", "region-follow-up").claim("scope", "system/CarePlan.rs"));

    @Test
    void aCareGiversReportCountsItsOwnContractsAndTheRegionsCountsAll() {
        int kalmar = contracts(KALMAR_DOCTOR);
        int nybro = contracts(NYBRO);
        int region = contracts(FOLLOW_UP);

        as(NYBRO)
                .body(json(ContractFixture.create(fhirContext).transaction()))
                .when()
                .post("/")
                .then()
                .statusCode(200);

        assertThat(contracts(KALMAR_DOCTOR)).isEqualTo(kalmar);
        assertThat(contracts(NYBRO)).isEqualTo(nybro + 1);
        assertThat(contracts(FOLLOW_UP)).isEqualTo(region + 1);

        storedContract(); // by the region's EHR integration

        assertThat(contracts(KALMAR_DOCTOR)).isEqualTo(kalmar + 1);
        assertThat(contracts(NYBRO)).isEqualTo(nybro + 1);
        assertThat(contracts(FOLLOW_UP)).isEqualTo(region + 2);
    }

    @Test
    void aCareGiversReportSaysWhoseContractsItCounts() {
        JsonPath own = report(KALMAR_DOCTOR);
        assertThat(own.getString("reporter.identifier.system")).isEqualTo("urn:oid:1.2.752.29.4.19");
        assertThat(own.getString("reporter.identifier.value")).isEqualTo(TestTokens.REGION_KALMAR);
        assertThat(report(FOLLOW_UP).getString("reporter")).isNull();
    }

    private int contracts(String token) {
        return report(token).getInt("group[0].population[0].count");
    }

    private JsonPath report(String token) {
        return as(token).when().get(MEASURE).then().statusCode(200).extract().jsonPath();
    }
}
