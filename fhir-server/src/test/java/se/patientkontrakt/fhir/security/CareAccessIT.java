package se.patientkontrakt.fhir.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.util.List;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAction;
import org.hl7.fhir.r4.model.Bundle.SearchEntryMode;
import org.hl7.fhir.r4.model.CarePlan;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.ContractFixture;

/**
 * Practitioner ({@code user/}) and EHR integration ({@code system/}) tokens: they reach any
 * patient's data, but only the types and interactions their scopes name.
 */
class CareAccessIT extends SecuredFhirIT {

    private ContractFixture contract;

    @BeforeEach
    void aStoredContract() {
        contract = storedContract();
    }

    @Test
    void aPractitionerWithReadScopesSeesEveryPatientsContractsAndWorkLists() {
        String doctor = TestTokens.practitioner("user/*.read");

        as(doctor).when().get("/" + contract.contractId()).then().statusCode(200);
        assertThat(ids(search(doctor, "/" + contract.patientId() + "/$patientkontrakt"), SearchEntryMode.MATCH))
                .containsExactly(contract.contractId());
        assertThat(ids(
                        search(
                                doctor,
                                "/CarePlan?care-team.fast-vardkontakt=" + contract.careContactRoleId()
                                        + "&_include=CarePlan:subject"),
                        SearchEntryMode.INCLUDE))
                .contains(contract.patientId());
    }

    @Test
    void theFollowUpMeasuresAreForCareTokensThatMayReadContractsNotForPatients() {
        String measure =
                "/Measure/pk-antal-patientkontrakt/$evaluate-measure?periodStart=2026-01-01&periodEnd=2026-12-31";

        Response report = as(TestTokens.practitioner("user/CarePlan.rs")).when().get(measure);
        report.then().statusCode(200);
        assertThat(report.jsonPath().getString("resourceType")).isEqualTo("MeasureReport");
        as(TestTokens.practitioner("user/Patient.rs"))
                .when()
                .get(measure)
                .then()
                .statusCode(403);
        as(TestTokens.patient(contract.patientId(), "patient/*.read"))
                .when()
                .get(measure)
                .then()
                .statusCode(403);
    }

    @Test
    void readScopesDoNotAllowWrites() {
        String doctor = TestTokens.practitioner("user/*.read");

        Response response = as(doctor).body(json(contract.contract())).when().put("/" + contract.contractId());

        response.then().statusCode(403);
        assertThat(diagnostics(response)).contains("Access denied");
    }

    @Test
    void aScopeForOneTypeDoesNotReachAnother() {
        String carePlansOnly = TestTokens.practitioner("user/CarePlan.rs");

        assertThat(ids(search(carePlansOnly, "/CarePlan?subject=" + contract.patientId()), SearchEntryMode.MATCH))
                .containsExactly(contract.contractId());
        as(carePlansOnly).when().get("/" + contract.patientId()).then().statusCode(403);
        as(carePlansOnly)
                .when()
                .get("/CarePlan?subject=" + contract.patientId() + "&_include=CarePlan:subject")
                .then()
                .statusCode(403);
    }

    @Test
    void updateWithoutCreateMayChangeButNotAdd() {
        String updater = TestTokens.system("system/CarePlan.ru");
        CarePlan stored = parse(
                as(updater)
                        .when()
                        .get("/" + contract.contractId())
                        .then()
                        .statusCode(200)
                        .extract()
                        .response(),
                CarePlan.class);

        stored.setTitle("Patientkontrakt, reviderat");
        as(updater)
                .body(json(stored))
                .when()
                .put("/" + contract.contractId())
                .then()
                .statusCode(200);

        stored.setId((String) null);
        Response create = as(updater).body(json(stored)).when().post("/CarePlan");
        create.then().statusCode(403);
        assertThat(diagnostics(create)).contains("no scope that allows create on CarePlan");
        as(updater).when().delete("/" + contract.contractId()).then().statusCode(403);
    }

    @Test
    void writesSearchesAndDeletesAreLoggedWithTheClientThatMadeThem() {
        String doctor = TestTokens.practitioner("user/*.read");
        search(doctor, "/CarePlan?subject=" + contract.patientId());
        as(EHR).when().delete("/" + contract.contractId()).then().statusCode(200);

        List<AuditEvent> log =
                search(EHR, "/AuditEvent?patient=" + contract.patientId() + "&_count=100").getEntry().stream()
                        .map(e -> (AuditEvent) e.getResource())
                        .toList();

        assertThat(log).anySatisfy(e -> {
            assertThat(e.getAction()).isEqualTo(AuditEventAction.C);
            assertThat(e.getAgent()).anyMatch(a -> "cosmic-ehr".equals(a.getName()));
            assertThat(e.getAgentFirstRep().getAltId()).isEqualTo("ehr-integration");
        });
        assertThat(log).anySatisfy(e -> {
            assertThat(e.getSubtypeFirstRep().getCode()).isEqualTo("search");
            assertThat(e.getAgentFirstRep().getWho().getReference()).isEqualTo("Practitioner/erik-holm");
        });
        assertThat(log).anySatisfy(e -> {
            assertThat(e.getAction()).isEqualTo(AuditEventAction.D);
            // The deleted contract is named, no longer referenced.
            assertThat(e.getEntity())
                    .anyMatch(entity -> entity.getWhat().getDisplay() != null
                            && entity.getWhat().getDisplay().startsWith(contract.contractId()));
        });
        // Reading the log is not logged again.
        assertThat(log).noneMatch(e -> e.getEntity().stream()
                .anyMatch(entity ->
                        String.valueOf(entity.getWhat().getReference()).startsWith("AuditEvent/")));
    }

    @Test
    void aV1WriteScopeAllowsATransactionOfTheWholeContract() {
        ContractFixture another = ContractFixture.create(fhirContext);
        String ehr = TestTokens.system("system/*.read system/*.write");

        as(ehr).body(json(another.transaction())).when().post("/").then().statusCode(200);

        as(ehr).when().get("/" + another.contractId()).then().statusCode(200);
    }
}
