package se.patientkontrakt.fhir.server;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import se.patientkontrakt.fhir.FhirIT;

/**
 * Bad input gets the right status and an OperationOutcome that says what is wrong, never a stack
 * trace or a Java class name, and what was stored before is left as it was.
 */
class BadInputIT extends FhirIT {

    private String family;
    private String existingId;

    @BeforeEach
    void storeOnePatient() {
        family = "Bad" + Fixtures.uniqueValue().substring(0, 8);
        existingId = create(Fixtures.patient(family));
    }

    private void assertNothingChanged() {
        Bundle found = parse(fhir().when().get("/Patient?family=" + family), Bundle.class);
        assertThat(found.getEntry()).hasSize(1);
        Patient stored = (Patient) found.getEntryFirstRep().getResource();
        assertThat(stored.getIdElement().getIdPart()).isEqualTo(existingId);
        assertThat(stored.getMeta().getVersionId()).isEqualTo("1");
    }

    /** The answer is an OperationOutcome with an error issue and no Java internals. */
    private String assertCleanOutcome(Response response) {
        OperationOutcome outcome = outcome(response);
        assertThat(outcome.getIssue()).isNotEmpty();
        assertThat(outcome.getIssueFirstRep().getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
        String body = response.asString();
        assertThat(body).doesNotContain("Exception", "\tat ", "java.", "org.hibernate", "ca.uhn.fhir.");
        return diagnostics(response);
    }

    @Test
    void malformedJsonIs400WithTheParseError() {
        String broken = "{\"resourceType\":\"Patient\",\"id\":\"" + existingId + "\",\"name\":[{\"family\":";

        Response response = fhir().body(broken).when().put("/Patient/" + existingId);

        response.then().statusCode(400);
        assertThat(assertCleanOutcome(response)).contains("Failed to parse", "JSON");
        assertNothingChanged();
    }

    @Test
    void malformedXmlIs400WithTheParseError() {
        Response response = given().contentType("application/fhir+xml")
                .accept(FHIR_JSON)
                .body("<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"" + family + "\"/>")
                .when()
                .post("/Patient");

        response.then().statusCode(400);
        assertThat(assertCleanOutcome(response)).contains("Failed to parse", "XML");
        assertNothingChanged();
    }

    /** A placeholder reference (urn:uuid) means something only inside a transaction Bundle. */
    @Test
    void aPlaceholderReferenceOutsideATransactionIs400() {
        Patient changed = read("/Patient/" + existingId, Patient.class);
        changed.getManagingOrganization().setReference("urn:uuid:a1238909-b968-570e-84b4-4c85b5412097");

        Response response = fhir(changed).when().put("/Patient/" + existingId);

        response.then().statusCode(400);
        assertThat(assertCleanOutcome(response)).contains("urn:uuid:a1238909", "Patient.managingOrganization");
        assertNothingChanged();
    }

    @Test
    void unknownElementIs400() {
        String body =
                "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family + "\"}],\"favouriteColour\":\"red\"}";

        Response response = fhir().body(body).when().post("/Patient");

        response.then().statusCode(400);
        assertThat(assertCleanOutcome(response)).contains("favouriteColour");
        assertNothingChanged();
    }

    @Test
    void unsupportedContentTypeIs415() {
        Response response = given().contentType("text/plain")
                .accept(FHIR_JSON)
                .body("Patient " + family)
                .when()
                .post("/Patient");

        response.then().statusCode(415);
        assertThat(assertCleanOutcome(response)).contains("Content-Type", "text/plain");
        assertNothingChanged();
    }

    @Test
    void unknownResourceTypeIs404() {
        Response response = fhir().when().get("/Patientkontrakt/1");

        response.then().statusCode(404);
        assertThat(assertCleanOutcome(response)).contains("Unknown resource type 'Patientkontrakt'");
    }

    @Test
    void unknownIdIs404() {
        Response response = fhir().when().get("/Patient/no-such-patient");

        response.then().statusCode(404);
        assertThat(assertCleanOutcome(response)).contains("Patient/no-such-patient", "not known");
    }

    @Test
    void unknownSearchParameterIs400AndNamesIt() {
        Response response = fhir().when().get("/Patient?favourite-colour=red");

        response.then().statusCode(400);
        assertThat(assertCleanOutcome(response)).contains("Unknown search parameter \"favourite-colour\"");
    }

    @Test
    void badSearchValueIs400AndNamesIt() {
        Response response = fhir().when().get("/Patient?birthdate=yesterday");

        response.then().statusCode(400);
        assertThat(assertCleanOutcome(response)).contains("yesterday");
    }

    /**
     * FHIR lets an identifier leave out its system (and its value): such a Patient is no
     * personnummer to check, and is stored, not answered with 500.
     */
    @ParameterizedTest
    @ValueSource(strings = {"{\"value\":\"%s\"}", "{\"use\":\"official\"}", "{\"value\":\"%s\",\"use\":\"usual\"}"})
    void anIdentifierWithoutASystemIsStored(String identifier) {
        String body = "{\"resourceType\":\"Patient\",\"identifier\":[" + identifier.formatted(Fixtures.uniqueValue())
                + "],\"name\":[{\"family\":\"" + family + "\"}]}";

        Response response = fhir().body(body).when().post("/Patient");

        response.then().statusCode(201);
    }

    @Test
    void bodyOverTheLimitIs413() {
        byte[] body = oversizedPatient();

        Response response = fhir().body(body).when().post("/Patient");

        response.then().statusCode(413);
        assertThat(assertCleanOutcome(response)).contains("larger than the limit of 1048576 bytes");
        assertThat(outcome(response).getIssueFirstRep().getCode()).isEqualTo(OperationOutcome.IssueType.TOOLONG);
        assertNothingChanged();
    }

    @Test
    void chunkedBodyOverTheLimitIs413() throws Exception {
        // A body of unknown length goes out chunked, without Content-Length: counted as read.
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/fhir/Patient"))
                .header("Content-Type", FHIR_JSON)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(oversizedPatient())))
                .build();

        HttpResponse<String> response = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .build()
                .send(request, HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(413);
        OperationOutcome outcome = fhirContext.newJsonParser().parseResource(OperationOutcome.class, response.body());
        assertThat(outcome.getIssueFirstRep().getDiagnostics()).contains("larger than the limit of 1048576 bytes");
        assertThat(outcome.getIssueFirstRep().getCode()).isEqualTo(OperationOutcome.IssueType.TOOLONG);
        assertThat(response.body()).doesNotContain("Exception");
        assertNothingChanged();
    }

    @Test
    void bodyJustUnderTheLimitIsAccepted() {
        Patient patient = Fixtures.patient(family + "x");
        patient.getText().setStatus(org.hl7.fhir.r4.model.Narrative.NarrativeStatus.GENERATED);
        patient.getText()
                .setDivAsString("<div xmlns=\"http://www.w3.org/1999/xhtml\">" + "a".repeat(900_000) + "</div>");

        fhir(patient).when().post("/Patient").then().statusCode(201);
    }

    private byte[] oversizedPatient() {
        String text = "<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\">" + "x".repeat(1_100_000) + "</div>";
        return ("{\"resourceType\":\"Patient\",\"text\":{\"status\":\"generated\",\"div\":\"" + text
                        + "\"},\"name\":[{\"family\":\"" + family + "\"}]}")
                .getBytes(StandardCharsets.UTF_8);
    }
}
