package se.patientkontrakt.fhir.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.util.UUID;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.StructureDefinition;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.FhirIT;
import se.patientkontrakt.fhir.contract.SwedishIdentifiers;
import se.patientkontrakt.fhir.contract.Vocabulary;

/** The contract rules that need more than one fixture: required profiles, cross-resource rules, identifiers. */
class ContractRulesIT extends FhirIT {

    private static final String GORAN_CONTRACT = "/CarePlan/goran-karlsson-patientkontrakt";
    private static final String GORAN_TEAM = "/CareTeam/goran-karlsson-kontaktteam";

    private static String newId(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private CarePlan goransContract() {
        return read(GORAN_CONTRACT, CarePlan.class);
    }

    private void wantsHelp(CarePlan plan) {
        plan.getExtensionsByUrl(Vocabulary.WANTS_COORDINATION_HELP).forEach(e -> e.setValue(new BooleanType(true)));
    }

    @Test
    void aCarePlanMustDeclareAContractProfile() {
        CarePlan plan = goransContract();
        plan.setId(newId("no-profile"));
        plan.getMeta().getProfile().clear();

        Response response =
                fhir(plan).when().put("/CarePlan/" + plan.getIdElement().getIdPart());

        response.then().statusCode(422);
        assertThat(diagnostics(response))
                .contains("must declare and conform to one of the profiles", Vocabulary.PATIENTKONTRAKT_PROFILE);
        assertThat(outcome(response).getIssueFirstRep().getExpression().get(0).getValue())
                .isEqualTo("CarePlan.meta.profile");
    }

    @Test
    void wantingCoordinationHelpNeedsAStoredCareTeamWithAFastVardkontakt() {
        CareTeam withoutFastVardkontakt =
                parse(fhir().when().get(GORAN_TEAM).then().extract().response(), CareTeam.class);
        withoutFastVardkontakt.setId(newId("team-without-fvk"));
        withoutFastVardkontakt
                .getParticipant()
                .removeIf(p -> p.getRoleFirstRep().getCodingFirstRep().getCode().equals("1"));
        fhir(withoutFastVardkontakt)
                .when()
                .put("/CareTeam/" + withoutFastVardkontakt.getIdElement().getIdPart())
                .then()
                .statusCode(201);

        CarePlan contract = goransContract();
        contract.setId(newId("wants-help"));
        wantsHelp(contract);
        contract.getCareTeamFirstRep()
                .setReference(
                        "CareTeam/" + withoutFastVardkontakt.getIdElement().getIdPart());
        Response refused =
                fhir(contract).when().put("/CarePlan/" + contract.getIdElement().getIdPart());

        refused.then().statusCode(422);
        assertThat(diagnostics(refused)).contains("pk-6", "fast vårdkontakt");
        fhir().when()
                .get("/CarePlan/" + contract.getIdElement().getIdPart())
                .then()
                .statusCode(404);

        contract.getCareTeamFirstRep().setReference(GORAN_TEAM.substring(1));
        fhir(contract)
                .when()
                .put("/CarePlan/" + contract.getIdElement().getIdPart())
                .then()
                .statusCode(201);
    }

    @Test
    void aTransactionWithOneBrokenContractStoresNothing() {
        Patient patient = parse(
                fhir().when().get("/Patient/goran-karlsson").then().extract().response(), Patient.class);
        patient.setId(newId("patient"));
        CarePlan contract = goransContract();
        contract.setId(newId("contract"));
        contract.setSubject(new Reference("Patient/" + patient.getIdElement().getIdPart()));
        contract.getActivityFirstRep().getDetail().getPerformer().clear();
        contract.getActivityFirstRep()
                .getDetail()
                .addPerformer(new Reference("PractitionerRole/erik-holm-ortopedkliniken-oskarshamn"));
        patient.getIdentifierFirstRep().setValue(ContractFixture.personnummer());

        Bundle transaction = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        transaction
                .addEntry()
                .setResource(patient)
                .getRequest()
                .setMethod(Bundle.HTTPVerb.PUT)
                .setUrl("Patient/" + patient.getIdElement().getIdPart());
        transaction
                .addEntry()
                .setResource(contract)
                .getRequest()
                .setMethod(Bundle.HTTPVerb.PUT)
                .setUrl("CarePlan/" + contract.getIdElement().getIdPart());

        Response response = fhir(transaction).when().post("/");

        response.then().statusCode(422);
        assertThat(diagnostics(response)).contains("pk-1");
        fhir().when()
                .get("/Patient/" + patient.getIdElement().getIdPart())
                .then()
                .statusCode(404);
        fhir().when()
                .get("/CarePlan/" + contract.getIdElement().getIdPart())
                .then()
                .statusCode(404);
    }

    @Test
    void legacyPersonnummerOidIsAcceptedAndStoredUnderTheHl7SwedenSystem() {
        String personnummer = ContractFixture.personnummer();
        Patient patient = new Patient();
        patient.addIdentifier().setSystem("urn:oid:1.2.752.129.2.1.3.1").setValue(personnummer);
        patient.addName().setFamily("Tolvansson").addGiven("Tolvan");

        String id = create(patient);

        Patient stored = parse(fhir().when().get("/Patient/" + id), Patient.class);
        assertThat(stored.getIdentifierFirstRep().getSystem()).isEqualTo(SwedishIdentifiers.PERSONNUMMER);
        Bundle found = parse(
                fhir().when()
                        .get("/Patient?identifier=" + SwedishIdentifiers.PERSONNUMMER + "|" + personnummer + "&_id="
                                + id),
                Bundle.class);
        assertThat(found.getEntry()).hasSize(1);
    }

    @Test
    void aSamordningsnummerWithAnImpossibleDateIsRefusedWithItsPath() {
        Patient patient = new Patient();
        patient.addIdentifier().setSystem("urn:oid:1.2.752.129.2.1.3.3").setValue("199013672380");

        Response response = fhir(patient).when().post("/Patient");

        response.then().statusCode(422);
        assertThat(diagnostics(response)).contains("samordningsnummer '199013672380'", "valid date");
        assertThat(outcome(response).getIssueFirstRep().getExpression().get(0).getValue())
                .isEqualTo("Patient.identifier[0].value");
    }

    @Test
    void definitionsAreServedWithSnapshots() {
        StructureDefinition contract = read("/StructureDefinition/pk-patientkontrakt", StructureDefinition.class);

        assertThat(contract.getUrl()).isEqualTo(Vocabulary.PATIENTKONTRAKT_PROFILE);
        assertThat(contract.getSnapshot().getElement())
                .hasSizeGreaterThan(contract.getDifferential().getElement().size());
        Bundle byUrl = parse(
                fhir().when().get("/StructureDefinition?url=" + Vocabulary.PATIENTKONTRAKT_PROFILE), Bundle.class);
        assertThat(byUrl.getEntry()).hasSize(1);
    }
}
