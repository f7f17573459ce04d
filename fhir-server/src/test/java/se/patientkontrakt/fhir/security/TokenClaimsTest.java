package se.patientkontrakt.fhir.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The commission (medarbetaruppdrag) a care token must carry under Patientdatalagen. */
class TokenClaimsTest {

    private static final TokenClaims PDL = new TokenClaims(id -> id.equals("goran-karlsson"), withRegionWide());
    private static final TokenClaims WITHOUT_PDL = new TokenClaims(
            id -> true, new PdlProperties(false, PdlProperties.defaults().claims(), List.of()));

    private static PdlProperties withRegionWide() {
        PdlProperties defaults = PdlProperties.defaults();
        return new PdlProperties(true, defaults.claims(), List.of("region-follow-up"));
    }

    private static Map<String, Object> person() {
        Map<String, Object> claims = new HashMap<>(system());
        claims.put("scope", "openid fhirUser user/*.read");
        claims.put("fhirUser", "Practitioner/erik-holm");
        claims.put("employeeHsaId", "SE2321000073-E00101");
        claims.put("commissionPurpose", "Vård och behandling");
        return claims;
    }

    private static Map<String, Object> system() {
        Map<String, Object> claims = new HashMap<>();
        claims.put("sub", "someone");
        claims.put("azp", "cosmic-ehr");
        claims.put("scope", "system/*.read");
        claims.put("healthCareUnitHsaId", "SE2321000073-VCOS01");
        claims.put("healthCareProviderHsaId", "SE2321000073");
        return claims;
    }

    @Test
    void aPersonWithACommissionAndASystemWithAUnitAreAccepted() {
        assertThat(PDL.problem(person())).isEmpty();
        assertThat(PDL.problem(system())).isEmpty();
    }

    @Test
    void aPersonNeedsTheirHsaIdTheUnitTheCareGiverAndThePurpose() {
        for (String claim : List.of("employeeHsaId", "healthCareUnitHsaId", "healthCareProviderHsaId")) {
            Map<String, Object> claims = person();
            claims.remove(claim);
            assertThat(PDL.problem(claims)).as(claim).hasValueSatisfying(problem -> assertThat(problem)
                    .contains("'" + claim + "'", "commission"));
        }
        Map<String, Object> noPurpose = person();
        noPurpose.remove("commissionPurpose");
        assertThat(PDL.problem(noPurpose)).hasValueSatisfying(p -> assertThat(p).contains("purpose"));
    }

    @Test
    void aUserScopeWithoutFhirUserIsAPersonToo() {
        Map<String, Object> claims = system();
        claims.put("scope", "user/*.read");
        assertThat(PDL.problem(claims)).hasValueSatisfying(p -> assertThat(p).contains("'employeeHsaId'"));
    }

    @Test
    void aSystemNeedsTheUnitAndTheCareGiver() {
        for (String claim : List.of("healthCareUnitHsaId", "healthCareProviderHsaId")) {
            Map<String, Object> claims = system();
            claims.remove(claim);
            assertThat(PDL.problem(claims)).as(claim).isPresent();
        }
    }

    @Test
    void anHsaIdMustBeOneHsaId() {
        for (Object bad :
                List.of("", "SE232100007", "2321000073-VCOS01", "SE2321000073-VC OS", List.of("SE2321000073"))) {
            Map<String, Object> claims = system();
            claims.put("healthCareUnitHsaId", bad);
            assertThat(PDL.problem(claims)).as("%s", bad).hasValueSatisfying(p -> assertThat(p)
                    .contains("not one HSA-id"));
        }
        Map<String, Object> longPurpose = person();
        longPurpose.put("commissionPurpose", "x".repeat(101));
        assertThat(PDL.problem(longPurpose)).isPresent();
    }

    @Test
    void aRegionWideClientNeedsNoCommission() {
        Map<String, Object> claims = system();
        claims.put("azp", "region-follow-up");
        claims.remove("healthCareUnitHsaId");
        claims.remove("healthCareProviderHsaId");
        assertThat(PDL.problem(claims)).isEmpty();
    }

    @Test
    void aPatientsTokenCarriesNoCommission() {
        Map<String, Object> patient = new HashMap<>();
        patient.put("sub", "patient-goran");
        patient.put("patient", "goran-karlsson");
        patient.put("scope", "patient/*.read");
        assertThat(PDL.problem(patient)).isEmpty();

        patient.put("healthCareUnitHsaId", "SE2321000073-VCOS01");
        assertThat(PDL.problem(patient))
                .hasValueSatisfying(p -> assertThat(p).contains("either a patient's or care's"));
    }

    @Test
    void withoutPdlRulesNoCommissionIsAsked() {
        Map<String, Object> claims = person();
        claims.remove("employeeHsaId");
        claims.remove("healthCareUnitHsaId");
        claims.remove("healthCareProviderHsaId");
        assertThat(WITHOUT_PDL.problem(claims)).isEmpty();
        assertThat(PDL.problem(claims)).isPresent();
    }

    @Test
    void theClaimNamesAreConfigurable() {
        TokenClaims renamed = new TokenClaims(
                id -> true,
                new PdlProperties(
                        true,
                        new PdlProperties.Claims("hsa_id", "unit_hsa_id", "provider_hsa_id", "purpose"),
                        List.of()));
        Map<String, Object> claims = new HashMap<>();
        claims.put("sub", "someone");
        claims.put("scope", "system/*.read");
        claims.put("unit_hsa_id", "SE2321000073-VCOS01");
        claims.put("provider_hsa_id", "SE2321000073");
        assertThat(renamed.problem(claims)).isEmpty();
        assertThat(PDL.problem(claims)).isPresent();
    }
}
