package se.patientkontrakt.fhir.portal;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.SearchEntryMode;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.OperationDefinition;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Practitioner;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.FhirIT;

/** The portal view of the example personas (loaded by the test profile's demo setting). */
class PatientContractOperationIT extends FhirIT {

    private static final String PERSONNUMMER = "http://electronichealth.se/identifier/personnummer";
    private static final String DEFINITION = "https://patientkontrakt.se/fhir/OperationDefinition/pk-patientkontrakt";

    @Test
    void esthersViewHoldsEverythingThePortalShowsInOneResponse() {
        Bundle view = read("/Patient/esther-andersson/$patientkontrakt", Bundle.class);

        assertThat(view.getTotal()).isEqualTo(1);
        assertThat(ids(view, SearchEntryMode.MATCH)).containsExactly("CarePlan/esther-andersson-patientkontrakt");
        assertThat(ids(view, SearchEntryMode.INCLUDE))
                .contains(
                        "Patient/esther-andersson",
                        "CareTeam/esther-andersson-kontaktteam",
                        "Goal/esther-andersson-vad-ar-viktigt",
                        "Goal/esther-andersson-gemensamt-mal",
                        "PractitionerRole/maria-lind-vardcentralen-nybro",
                        "PractitionerRole/johan-berg-vardcentralen-nybro",
                        "Practitioner/maria-lind",
                        "Organization/vardcentralen-nybro",
                        "CarePlan/esther-andersson-sip")
                .doesNotHaveDuplicates();
        assertThat(view.getEntry()).allSatisfy(e -> assertThat(e.getFullUrl())
                .endsWith(e.getResource()
                        .getIdElement()
                        .toUnqualifiedVersionless()
                        .getValue()));
    }

    @Test
    void theViewShowsTheCurrentVersionOfEveryResourceItHolds() {
        ContractFixture contract = ContractFixture.create(fhirContext);
        fhir(contract.transaction()).when().post("/").then().statusCode(200);
        Practitioner careContact = read("/" + contract.careContactPractitionerId(), Practitioner.class);
        careContact.getNameFirstRep().setFamily("Lindqvist");
        fhir(careContact)
                .when()
                .put("/" + contract.careContactPractitionerId())
                .then()
                .statusCode(200);

        Bundle view = read("/" + contract.patientId() + "/$patientkontrakt", Bundle.class);

        assertThat(ids(view, SearchEntryMode.MATCH)).containsExactly(contract.contractId());
        assertThat(ids(view, SearchEntryMode.INCLUDE))
                .contains(
                        contract.patientId(),
                        contract.teamId(),
                        contract.careContactRoleId(),
                        contract.careContactPractitionerId(),
                        contract.unitId())
                .doesNotHaveDuplicates();
        Practitioner shown = view.getEntry().stream()
                .map(Bundle.BundleEntryComponent::getResource)
                .filter(Practitioner.class::isInstance)
                .map(Practitioner.class::cast)
                .filter(p -> p.getIdElement()
                        .toUnqualifiedVersionless()
                        .getValue()
                        .equals(contract.careContactPractitionerId()))
                .findFirst()
                .orElseThrow();
        assertThat(shown.getNameFirstRep().getFamily()).isEqualTo("Lindqvist");
        assertThat(shown.getMeta().getVersionId()).isEqualTo("2");
    }

    @Test
    void theViewCanBeAskedForByPersonnummer() {
        Bundle view = read("/Patient/$patientkontrakt?identifier=" + PERSONNUMMER + "|195109031376", Bundle.class);

        // Other tests store copies of Göran's contract, so his view may hold more than the example.
        assertThat(ids(view, SearchEntryMode.MATCH)).contains("CarePlan/goran-karlsson-patientkontrakt");
        assertThat(ids(view, SearchEntryMode.INCLUDE)).contains("Patient/goran-karlsson");
    }

    @Test
    void aPatientWithoutAContractGetsAnEmptyWellFormedView() {
        Patient patient = new Patient();
        patient.addIdentifier().setSystem(PERSONNUMMER).setValue(ContractFixture.personnummer());
        String id = create(patient);

        Bundle view = read("/Patient/" + id + "/$patientkontrakt", Bundle.class);

        assertThat(view.getType()).isEqualTo(Bundle.BundleType.SEARCHSET);
        assertThat(view.getTotal()).isZero();
        assertThat(view.getEntry()).isEmpty();
    }

    @Test
    void onlyThePatientsActiveContractsMatch() {
        ContractFixture contract = ContractFixture.create(fhirContext);
        fhir(contract.transaction()).when().post("/").then().statusCode(200);
        CarePlan ended = read("/" + contract.contractId(), CarePlan.class);
        String endedId = contract.contractId() + "-ended";
        ended.setId(endedId);
        ended.setStatus(CarePlan.CarePlanStatus.COMPLETED);
        fhir(ended).when().put("/" + endedId).then().statusCode(201);

        Bundle byId = read("/" + contract.patientId() + "/$patientkontrakt", Bundle.class);
        Bundle byPersonnummer = read(
                "/Patient/$patientkontrakt?identifier=" + PERSONNUMMER + "|" + contract.personnummerValue(),
                Bundle.class);

        for (Bundle view : List.of(byId, byPersonnummer)) {
            assertThat(view.getTotal()).isEqualTo(1);
            assertThat(ids(view, SearchEntryMode.MATCH)).containsExactly(contract.contractId());
            assertThat(ids(view, SearchEntryMode.INCLUDE))
                    .contains(contract.patientId())
                    .doesNotContain(endedId);
        }
    }

    @Test
    void aPatientWhoseNumberIsListedTwiceIsStillOnePatient() {
        String personnummer = ContractFixture.personnummer();
        Patient patient = new Patient();
        patient.addIdentifier().setSystem(PERSONNUMMER).setValue(personnummer);
        patient.addIdentifier().setSystem(PERSONNUMMER).setValue(personnummer).setUse(Identifier.IdentifierUse.OLD);
        String id = create(patient);

        Bundle view = read("/Patient/$patientkontrakt?identifier=" + PERSONNUMMER + "|" + personnummer, Bundle.class);

        assertThat(view.getTotal()).isZero();
        fhir().when().get("/Patient/" + id + "/$patientkontrakt").then().statusCode(200);
    }

    @Test
    void aDeletedPatientIsGoneByIdAndUnknownByPersonnummer() {
        String personnummer = ContractFixture.personnummer();
        Patient patient = new Patient();
        patient.addIdentifier().setSystem(PERSONNUMMER).setValue(personnummer);
        String id = create(patient);
        fhir().when().delete("/Patient/" + id).then().statusCode(200);

        Response byId = fhir().when().get("/Patient/" + id + "/$patientkontrakt");
        Response byPersonnummer =
                fhir().when().get("/Patient/$patientkontrakt?identifier=" + PERSONNUMMER + "|" + personnummer);

        byId.then().statusCode(410);
        assertThat(diagnostics(byId)).contains("deleted");
        byPersonnummer.then().statusCode(404);
        assertThat(diagnostics(byPersonnummer)).contains("No patient with identifier");
    }

    @Test
    void anUnknownPatientIs404() {
        fhir().when().get("/Patient/no-such-patient/$patientkontrakt").then().statusCode(404);
        Response byIdentifier =
                fhir().when().get("/Patient/$patientkontrakt?identifier=" + PERSONNUMMER + "|190001019806");
        byIdentifier.then().statusCode(404);
        assertThat(diagnostics(byIdentifier)).contains("No patient with identifier");
    }

    @Test
    void aMalformedIdentifierIs400() {
        Response response = fhir().when().get("/Patient/$patientkontrakt?identifier=195109031376");

        response.then().statusCode(400);
        assertThat(diagnostics(response)).contains("identifier=system|value");
    }

    @Test
    void theCapabilityStatementListsTheOperationWithItsPublishedDefinition() {
        CapabilityStatement capabilities = read("/metadata", CapabilityStatement.class);

        assertThat(capabilities.getRestFirstRep().getResource().stream()
                        .filter(r -> r.getType().equals("Patient"))
                        .flatMap(r -> r.getOperation().stream())
                        .filter(o -> o.getName().equals("patientkontrakt"))
                        .map(o -> o.getDefinition()))
                .containsExactly(DEFINITION);
    }

    @Test
    void theOperationDefinitionIsServedAndDescribesBothWaysToCall() {
        OperationDefinition definition =
                read("/OperationDefinition?url=" + DEFINITION, Bundle.class).getEntry().stream()
                        .map(e -> (OperationDefinition) e.getResource())
                        .findFirst()
                        .orElseThrow();

        assertThat(definition.getCode()).isEqualTo("patientkontrakt");
        assertThat(definition.getInstance()).isTrue();
        assertThat(definition.getType()).isTrue();
        assertThat(definition.getParameter())
                .extracting(p -> p.getName() + ":" + p.getUse().toCode())
                .containsExactly("identifier:in", "return:out");
    }
}
