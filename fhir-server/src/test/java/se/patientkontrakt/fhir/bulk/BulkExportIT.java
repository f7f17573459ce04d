package se.patientkontrakt.fhir.bulk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.InstantType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.MalgruppFixture;
import se.patientkontrakt.fhir.security.SecuredFhirIT;
import se.patientkontrakt.fhir.security.TestTokens;

/**
 * Bulk Data export ({@code $export}) for the region's warehouse: kicked off, polled and downloaded by
 * a region-wide client's system token, and by no other token; another client, even a region-wide
 * one, does not learn that the export exists. Each test writes its own patients and narrows the
 * export to them with {@code _since} or the level, so the files stay small.
 */
class BulkExportIT extends SecuredFhirIT {

    private static final String WAREHOUSE = TestTokens.regionWide("system/*.read system/Group.cruds");

    /** Another region-wide client (the 1177 portal's back end): not the export's owner. */
    private static final String PORTAL = TestTokens.token(
            c -> c.subject("portal-backend").claim("azp", "portal-1177").claim("scope", "system/*.read"));

    @Test
    void aSystemExportHoldsThePatientsAndContractsWrittenSinceItsStart() throws Exception {
        ContractFixture before = storedContract();
        Instant since = afterAMoment();
        ContractFixture first = storedContract();
        ContractFixture second = storedContract();

        Response manifest = exportAndWait(WAREHOUSE, "/$export?_type=Patient,CarePlan&_since=" + instant(since));

        assertThat(manifest.header("Expires")).isNotBlank();
        assertThat(manifest.jsonPath().getBoolean("requiresAccessToken")).isTrue();
        Map<String, List<IBaseResource>> files = download(WAREHOUSE, manifest);
        assertThat(files).containsOnlyKeys("Patient", "CarePlan");
        assertThat(ids(files.get("Patient")))
                .contains(first.patientId(), second.patientId())
                .doesNotContain(before.patientId());
        assertThat(ids(files.get("CarePlan")))
                .contains(first.contractId(), second.contractId())
                .doesNotContain(before.contractId());
    }

    @Test
    void typeNarrowsTheExport() throws Exception {
        Instant since = afterAMoment();
        ContractFixture contract = storedContract();

        Response manifest = exportAndWait(WAREHOUSE, "/$export?_type=CarePlan&_since=" + instant(since));

        Map<String, List<IBaseResource>> files = download(WAREHOUSE, manifest);
        assertThat(files).containsOnlyKeys("CarePlan");
        assertThat(ids(files.get("CarePlan"))).contains(contract.contractId());
    }

    @Test
    void aGroupExportHoldsOnlyItsMembersData() throws Exception {
        Instant since = afterAMoment();
        ContractFixture member = storedContract();
        ContractFixture other = storedContract();
        String group = "Group/export-" + member.suffix();
        Group malgrupp = MalgruppFixture.of(fhirContext, group, member.patientId());
        as(WAREHOUSE).body(json(malgrupp)).when().put("/" + group).then().statusCode(201);

        Response manifest =
                exportAndWait(WAREHOUSE, "/" + group + "/$export?_type=Patient,CarePlan&_since=" + instant(since));

        Map<String, List<IBaseResource>> files = download(WAREHOUSE, manifest);
        List<String> exported = new ArrayList<>(ids(files.get("Patient")));
        exported.addAll(ids(files.getOrDefault("CarePlan", List.of())));
        assertThat(exported)
                .contains(member.patientId(), member.contractId())
                .doesNotContain(other.patientId(), other.contractId());
    }

    @Test
    void aPatientExportIsLoggedOnceNamingThePatientAndWhatWasAsked() throws Exception {
        ContractFixture contract = storedContract();
        String filter = "CarePlan?status=active";

        Response manifest = exportAndWait(
                WAREHOUSE, "/" + contract.patientId() + "/$export?_type=Patient,CarePlan&_typeFilter=" + filter);

        assertThat(ids(download(WAREHOUSE, manifest).get("CarePlan"))).containsExactly(contract.contractId());
        Bundle log = search(
                WAREHOUSE,
                "/AuditEvent?patient=" + contract.patientId()
                        + "&type=http://dicom.nema.org/resources/ontology/DCM|110106");
        assertThat(log.getEntry()).hasSize(1);
        AuditEvent event = (AuditEvent) log.getEntryFirstRep().getResource();
        assertThat(event.getAgent()).anyMatch(agent -> "region-follow-up".equals(agent.getName()));
        AuditEvent.AuditEventEntityComponent query = event.getEntity().stream()
                .filter(e -> "24".equals(e.getRole().getCode()))
                .findFirst()
                .orElseThrow();
        assertThat(query.getDetail())
                .extracting(d -> d.getType() + "=" + d.getValue().primitiveValue())
                .containsExactly("level=patient", "_type=CarePlan,Patient", "_typeFilter=" + filter);
    }

    @ParameterizedTest
    @ValueSource(strings = {"patient", "care user", "care giver's system"})
    void noOtherTokenExports(String who) {
        ContractFixture contract = storedContract();
        String token =
                switch (who) {
                    case "patient" -> TestTokens.patient(contract.patientId(), "patient/*.read");
                    case "care user" -> TestTokens.practitioner("user/*.read");
                    default -> EHR;
                };

        for (String path : List.of("/$export", "/Patient/$export", "/" + contract.patientId() + "/$export")) {
            Response response =
                    as(token).header("Prefer", "respond-async").when().get(path);

            response.then().statusCode(403);
            assertThat(diagnostics(response)).contains("region-wide clients");
        }
    }

    @Test
    void anotherClientDoesNotLearnThatTheExportExists() throws Exception {
        Instant since = afterAMoment();
        storedContract();
        String poll = kickOff(WAREHOUSE, "/$export?_type=Patient&_since=" + instant(since));

        Response theirs = await(PORTAL, poll);
        Response unknown = await(PORTAL, poll.replaceFirst("_jobId=.*", "_jobId=" + java.util.UUID.randomUUID()));
        Response manifest = await(WAREHOUSE, poll);

        assertThat(theirs.statusCode()).isEqualTo(404);
        assertThat(unknown.statusCode()).isEqualTo(404);
        String file = manifest.jsonPath().getString("output[0].url");
        Response download = RestAssured.given().auth().oauth2(PORTAL).when().get(file);
        assertThat(download.statusCode()).isEqualTo(404);
        assertThat(RestAssured.given().auth().oauth2(PORTAL).when().delete(poll).statusCode())
                .isEqualTo(404);
        assertThat(RestAssured.given().auth().oauth2(WAREHOUSE).when().get(file).statusCode())
                .isEqualTo(200);
        // No search, no other interaction: the files are read by id, by their owner alone.
        for (String acrossTypes : List.of("/?_type=Binary", "/_history?_since=" + instant(since))) {
            Response theirsAcross = as(PORTAL).when().get(acrossTypes);
            assertThat(theirsAcross.asString()).as(acrossTypes).doesNotContain(file.substring(file.indexOf("Binary/")));
        }
        Response search = as(WAREHOUSE).when().get("/Binary");
        assertThat(search.statusCode()).isEqualTo(400);
        assertThat(search.asString()).doesNotContain("\"Binary\",");
    }

    @Test
    void theOwnerCancelsAnExport() {
        String poll = kickOff(WAREHOUSE, "/$export?_type=Patient,CarePlan,CareTeam,Goal");

        Response cancelled = RestAssured.given().auth().oauth2(WAREHOUSE).when().delete(poll);

        assertThat(cancelled.statusCode()).isEqualTo(202);
        assertThat(RestAssured.given().auth().oauth2(WAREHOUSE).when().get(poll).statusCode())
                .isEqualTo(404);
    }

    @Test
    void aKickOffWithoutPreferRespondAsyncIsRefused() {
        Response response = as(WAREHOUSE).when().get("/$export?_type=Patient");

        response.then().statusCode(400);
        assertThat(diagnostics(response)).contains("respond-async");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Observation", "Subscription", "Binary"})
    void aTypeThisServiceDoesNotExportIsRefused(String type) {
        Response response =
                as(WAREHOUSE).header("Prefer", "respond-async").when().get("/$export?_type=Patient," + type);

        response.then().statusCode(400);
        assertThat(outcome(response).getIssueFirstRep().getLocation().get(0).getValue())
                .isEqualTo("http._type");
        assertThat(diagnostics(response)).contains(type);
    }

    private Response exportAndWait(String token, String kickOff) throws InterruptedException {
        Response manifest = await(token, kickOff(token, kickOff));
        assertThat(manifest.statusCode()).as(manifest.asString()).isEqualTo(200);
        return manifest;
    }

    private static String kickOff(String token, String path) {
        Response response = as(token).header("Prefer", "respond-async").when().get(path);
        response.then().statusCode(202);
        String poll = response.header("Content-Location");
        assertThat(poll).contains("$export-poll-status?_jobId=");
        return poll;
    }

    /** Polls until the answer is no longer 202 (in progress), with a short sleep. */
    private static Response await(String token, String poll) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            Response response = RestAssured.given().auth().oauth2(token).when().get(poll);
            if (response.statusCode() != 202) {
                return response;
            }
            assertThat(response.header("X-Progress")).isNotBlank();
            assertThat(response.header("Retry-After")).isNotBlank();
            Thread.sleep(250);
        }
        return fail("the export did not complete within a minute: " + poll);
    }

    /** Every file of the manifest, each line parsed, by type. */
    private Map<String, List<IBaseResource>> download(String token, Response manifest) {
        Map<String, List<IBaseResource>> files = new java.util.TreeMap<>();
        JsonPath json = manifest.jsonPath();
        List<Map<String, String>> outputs = json.getList("output");
        for (Map<String, String> output : outputs) {
            Response file = RestAssured.given()
                    .auth()
                    .oauth2(token)
                    .accept("application/fhir+ndjson")
                    .when()
                    .get(output.get("url"));
            file.then().statusCode(200);
            for (String line : file.asString().split("\n")) {
                if (!line.isBlank()) {
                    files.computeIfAbsent(output.get("type"), t -> new ArrayList<>())
                            .add(fhirContext.newJsonParser().parseResource(line));
                }
            }
        }
        return files;
    }

    private static List<String> ids(List<IBaseResource> resources) {
        return resources.stream()
                .map(r -> r.getIdElement().toUnqualifiedVersionless().getValue())
                .toList();
    }

    /** A moment between what a test wrote before and what it writes after. */
    private static Instant afterAMoment() throws InterruptedException {
        Thread.sleep(1100);
        Instant now = Instant.now();
        Thread.sleep(1100);
        return now;
    }

    private static String instant(Instant instant) {
        return new InstantType(java.util.Date.from(instant)).getValueAsString().replace("+", "%2B");
    }
}
