package se.patientkontrakt.fhir.server;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.BundleType;
import org.hl7.fhir.r4.model.Bundle.HTTPVerb;
import org.hl7.fhir.r4.model.Goal;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.FhirIT;

/** Every REST interaction of the FHIR R4 API, over real HTTP against the real database. */
class RestInteractionsIT extends FhirIT {

    private String createdLocation(Patient patient) {
        return fhir(patient)
                .when()
                .post("/Patient")
                .then()
                .statusCode(201)
                .extract()
                .header("Location");
    }

    private String createPatient(String family) {
        return idPart(createdLocation(Fixtures.patient(family)));
    }

    /** "Patient/123" from "http://host/fhir/Patient/123/_history/1". */
    private static String idPart(String location) {
        String path = location.substring(location.indexOf("/fhir/") + "/fhir/".length());
        String[] parts = path.split("/");
        return parts[0] + "/" + parts[1];
    }

    @Test
    void createReadVreadAndUpdateKeepEveryVersion() {
        String id = createPatient("Andersson");

        Response read = fhir().when().get("/" + id);
        read.then().statusCode(200).header("ETag", "W/\"1\"");
        Patient stored = parse(read, Patient.class);
        assertThat(stored.getNameFirstRep().getFamily()).isEqualTo("Andersson");

        stored.getNameFirstRep().setFamily("Berg");
        fhir(stored)
                .header("If-Match", "W/\"1\"")
                .when()
                .put("/" + id)
                .then()
                .statusCode(200)
                .header("ETag", "W/\"2\"");

        Patient first = parse(fhir().when().get("/" + id + "/_history/1"), Patient.class);
        Patient second = parse(fhir().when().get("/" + id + "/_history/2"), Patient.class);
        assertThat(first.getNameFirstRep().getFamily()).isEqualTo("Andersson");
        assertThat(second.getNameFirstRep().getFamily()).isEqualTo("Berg");
        assertThat(second.getMeta().getVersionId()).isEqualTo("2");
    }

    @Test
    void staleIfMatchOnUpdateGives412AndChangesNothing() {
        String id = createPatient("Carlsson");
        Patient current = parse(fhir().when().get("/" + id), Patient.class);
        current.getNameFirstRep().setFamily("Dahl");
        fhir(current).header("If-Match", "W/\"1\"").when().put("/" + id).then().statusCode(200);

        current.getNameFirstRep().setFamily("Ek");
        Response stale = fhir(current).header("If-Match", "W/\"1\"").when().put("/" + id);

        stale.then().statusCode(412);
        assertThat(diagnostics(stale)).contains("not the current version");
        Patient after = parse(fhir().when().get("/" + id), Patient.class);
        assertThat(after.getMeta().getVersionId()).isEqualTo("2");
        assertThat(after.getNameFirstRep().getFamily()).isEqualTo("Dahl");
    }

    @Test
    void jsonPatchAppliesAndHonoursIfMatch() {
        String id = createPatient("Forsberg");
        String patch = "[{\"op\":\"replace\",\"path\":\"/name/0/family\",\"value\":\"Gustafsson\"}]";

        given().contentType("application/json-patch+json")
                .accept(FHIR_JSON)
                .header("If-Match", "W/\"1\"")
                .body(patch)
                .when()
                .patch("/" + id)
                .then()
                .statusCode(200);
        Response stale = given().contentType("application/json-patch+json")
                .accept(FHIR_JSON)
                .header("If-Match", "W/\"1\"")
                .body(patch.replace("Gustafsson", "Hansson"))
                .when()
                .patch("/" + id);

        stale.then().statusCode(412);
        Patient after = parse(fhir().when().get("/" + id), Patient.class);
        assertThat(after.getNameFirstRep().getFamily()).isEqualTo("Gustafsson");
        assertThat(after.getMeta().getVersionId()).isEqualTo("2");
    }

    @Test
    void deleteWithStaleIfMatchGives412AndKeepsTheResource() {
        String id = createPatient("Holm");
        Patient current = parse(fhir().when().get("/" + id), Patient.class);
        fhir(current).when().put("/" + id).then().statusCode(200);

        Response stale = fhir().header("If-Match", "W/\"1\"").when().delete("/" + id);

        stale.then().statusCode(412);
        assertThat(diagnostics(stale)).contains("was not deleted");
        fhir().when().get("/" + id).then().statusCode(200);

        fhir().header("If-Match", "W/\"2\"").when().delete("/" + id).then().statusCode(200);
        fhir().when().get("/" + id).then().statusCode(410);
    }

    @Test
    void historyAtInstanceTypeAndSystemLevel() {
        String id = createPatient("Isaksson");
        Patient current = parse(fhir().when().get("/" + id), Patient.class);
        current.setActive(true);
        fhir(current).when().put("/" + id).then().statusCode(200);

        Bundle instance = parse(fhir().when().get("/" + id + "/_history"), Bundle.class);
        assertThat(instance.getType()).isEqualTo(BundleType.HISTORY);
        assertThat(instance.getEntry())
                .extracting(e -> e.getResource().getMeta().getVersionId())
                .containsExactly("2", "1");

        Bundle type = parse(fhir().when().get("/Patient/_history?_count=5"), Bundle.class);
        assertThat(type.getType()).isEqualTo(BundleType.HISTORY);
        assertThat(type.getEntry()).isNotEmpty().allMatch(e -> e.getResource() instanceof Patient);

        Bundle system = parse(fhir().when().get("/_history?_count=5"), Bundle.class);
        assertThat(system.getType()).isEqualTo(BundleType.HISTORY);
        assertThat(system.getEntry()).isNotEmpty();
    }

    @Test
    void searchPagesWithCountAndSortsByParameter() {
        String family = "Paging" + Fixtures.uniqueValue().substring(0, 8);
        for (String given : List.of("Cecilia", "Anna", "Britt")) {
            Patient patient = Fixtures.patient(family);
            patient.getNameFirstRep().getGiven().clear();
            patient.getNameFirstRep().addGiven(given);
            create(patient);
        }

        Bundle page1 = parse(fhir().when().get("/Patient?family=" + family + "&_sort=given&_count=2"), Bundle.class);
        assertThat(page1.getEntry())
                .extracting(e -> ((Patient) e.getResource()).getNameFirstRep().getGivenAsSingleString())
                .containsExactly("Anna", "Britt");
        String next = page1.getLink(Bundle.LINK_NEXT).getUrl();
        assertThat(next).isNotBlank();

        Bundle page2 = parse(given().accept(FHIR_JSON).when().get(next), Bundle.class);
        assertThat(page2.getEntry())
                .extracting(e -> ((Patient) e.getResource()).getNameFirstRep().getGivenAsSingleString())
                .containsExactly("Cecilia");
        assertThat(page2.getLink(Bundle.LINK_NEXT)).isNull();
    }

    @Test
    void includeAndRevincludeFollowReferences() {
        String patientId = createPatient("Johansson");
        Goal goal = Fixtures.goal(patientId, "Gå till affären själv");
        String goalId = idPart(
                fhir(goal).when().post("/Goal").then().statusCode(201).extract().header("Location"));

        Bundle included =
                parse(fhir().when().get("/Goal?_id=" + goalId.split("/")[1] + "&_include=Goal:subject"), Bundle.class);
        assertThat(included.getEntry())
                .extracting(e -> e.getResource()
                        .getIdElement()
                        .toUnqualifiedVersionless()
                        .getValue())
                .containsExactlyInAnyOrder(goalId, patientId);
        assertThat(included.getEntry())
                .filteredOn(e -> e.getResource() instanceof Patient)
                .extracting(e -> e.getSearch().getMode())
                .containsExactly(Bundle.SearchEntryMode.INCLUDE);

        Bundle revincluded = parse(
                fhir().when().get("/Patient?_id=" + patientId.split("/")[1] + "&_revinclude=Goal:subject"),
                Bundle.class);
        assertThat(revincluded.getEntry())
                .extracting(e -> e.getResource()
                        .getIdElement()
                        .toUnqualifiedVersionless()
                        .getValue())
                .containsExactlyInAnyOrder(goalId, patientId);
    }

    @Test
    void searchAcceptsAnUnencodedPipeAsCurlAndPostmanSendIt() throws Exception {
        Patient patient = Fixtures.patient("Pipe");
        create(patient);
        String query = "/fhir/Patient?identifier=" + Fixtures.TEST_IDENTIFIER_SYSTEM + "|"
                + patient.getIdentifierFirstRep().getValue();

        // java.net.URI would encode '|'; a raw request line sends it as curl does.
        String response;
        try (java.net.Socket socket = new java.net.Socket("localhost", port)) {
            socket.getOutputStream()
                    .write(("GET " + query + " HTTP/1.1\r\nHost: localhost\r\nAccept: application/fhir+json\r\n"
                                    + "Connection: close\r\n\r\n")
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            response = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }

        assertThat(response).startsWith("HTTP/1.1 200").contains("\"total\":1");
    }

    @Test
    void summaryAndElementsReturnSubsets() {
        String family = "Subset" + Fixtures.uniqueValue().substring(0, 8);
        create(Fixtures.patient(family));
        create(Fixtures.patient(family));

        Bundle count = parse(fhir().when().get("/Patient?family=" + family + "&_summary=count"), Bundle.class);
        assertThat(count.getTotal()).isEqualTo(2);
        assertThat(count.getEntry()).isEmpty();

        Bundle elements = parse(fhir().when().get("/Patient?family=" + family + "&_elements=identifier"), Bundle.class);
        assertThat(elements.getEntry()).hasSize(2).allSatisfy(entry -> {
            Patient patient = (Patient) entry.getResource();
            assertThat(patient.hasIdentifier()).isTrue();
            assertThat(patient.hasName()).isFalse();
            assertThat(patient.hasGender()).isFalse();
        });
    }

    @Test
    void conditionalCreateDoesNotDuplicateARetriedCall() {
        Patient patient = Fixtures.patient("Karlsson");
        String identifier = Fixtures.TEST_IDENTIFIER_SYSTEM + "|"
                + patient.getIdentifierFirstRep().getValue();

        String first = fhir(patient)
                .header("If-None-Exist", "identifier=" + identifier)
                .when()
                .post("/Patient")
                .then()
                .statusCode(201)
                .extract()
                .header("Location");
        String retry = fhir(patient)
                .header("If-None-Exist", "identifier=" + identifier)
                .when()
                .post("/Patient")
                .then()
                .statusCode(200)
                .extract()
                .header("Location");

        assertThat(idPart(retry)).isEqualTo(idPart(first));
        Bundle found = parse(fhir().when().get("/Patient?identifier=" + identifier), Bundle.class);
        assertThat(found.getEntry()).hasSize(1);
    }

    @Test
    void conditionalUpdateCreatesThenUpdatesByIdentifier() {
        Patient patient = Fixtures.patient("Lind");
        String identifier = Fixtures.TEST_IDENTIFIER_SYSTEM + "|"
                + patient.getIdentifierFirstRep().getValue();

        fhir(patient).when().put("/Patient?identifier=" + identifier).then().statusCode(201);
        patient.getNameFirstRep().setFamily("Lindqvist");
        fhir(patient).when().put("/Patient?identifier=" + identifier).then().statusCode(200);

        Bundle found = parse(fhir().when().get("/Patient?identifier=" + identifier), Bundle.class);
        assertThat(found.getEntry()).hasSize(1);
        Patient stored = (Patient) found.getEntryFirstRep().getResource();
        assertThat(stored.getNameFirstRep().getFamily()).isEqualTo("Lindqvist");
        assertThat(stored.getMeta().getVersionId()).isEqualTo("2");
    }

    @Test
    void transactionIsAllOrNothingAndResolvesReferences() {
        Bundle transaction = new Bundle().setType(BundleType.TRANSACTION);
        Patient patient = Fixtures.patient("Magnusson");
        transaction
                .addEntry()
                .setFullUrl("urn:uuid:" + Fixtures.uniqueValue())
                .setResource(patient)
                .getRequest()
                .setMethod(HTTPVerb.POST)
                .setUrl("Patient");
        String patientUrl = transaction.getEntryFirstRep().getFullUrl();
        transaction
                .addEntry()
                .setResource(Fixtures.goal(patientUrl, "Promenera varje dag"))
                .getRequest()
                .setMethod(HTTPVerb.POST)
                .setUrl("Goal");

        Bundle response = parse(
                fhir(transaction)
                        .when()
                        .post("/")
                        .then()
                        .statusCode(200)
                        .extract()
                        .response(),
                Bundle.class);
        assertThat(response.getType()).isEqualTo(BundleType.TRANSACTIONRESPONSE);
        assertThat(response.getEntry())
                .extracting(e -> e.getResponse().getStatus())
                .allMatch(s -> s.startsWith("201"));
        String patientId =
                idPart("/fhir/" + response.getEntry().get(0).getResponse().getLocation());
        Goal stored = parse(
                fhir().when()
                        .get("/"
                                + idPart("/fhir/"
                                        + response.getEntry()
                                                .get(1)
                                                .getResponse()
                                                .getLocation())),
                Goal.class);
        assertThat(stored.getSubject().getReference()).isEqualTo(patientId);

        Bundle failing = new Bundle().setType(BundleType.TRANSACTION);
        Patient notStored = Fixtures.patient("NeverStored");
        failing.addEntry()
                .setResource(notStored)
                .getRequest()
                .setMethod(HTTPVerb.POST)
                .setUrl("Patient");
        failing.addEntry()
                .setResource(Fixtures.goal("Patient/does-not-exist", "Ingen"))
                .getRequest()
                .setMethod(HTTPVerb.POST)
                .setUrl("Goal");
        fhir(failing).when().post("/").then().statusCode(400);
        Bundle none = parse(
                fhir().when()
                        .get("/Patient?identifier=" + Fixtures.TEST_IDENTIFIER_SYSTEM + "|"
                                + notStored.getIdentifierFirstRep().getValue()),
                Bundle.class);
        assertThat(none.getEntry()).isEmpty();
    }

    @Test
    void batchProcessesEntriesIndependently() {
        Bundle batch = new Bundle().setType(BundleType.BATCH);
        batch.addEntry()
                .setResource(Fixtures.patient("Nilsson"))
                .getRequest()
                .setMethod(HTTPVerb.POST)
                .setUrl("Patient");
        batch.addEntry().getRequest().setMethod(HTTPVerb.GET).setUrl("Patient/does-not-exist");

        Bundle response = parse(
                fhir(batch).when().post("/").then().statusCode(200).extract().response(), Bundle.class);

        assertThat(response.getType()).isEqualTo(BundleType.BATCHRESPONSE);
        assertThat(response.getEntry().get(0).getResponse().getStatus()).startsWith("201");
        assertThat(response.getEntry().get(1).getResponse().getStatus()).startsWith("404");
    }

    @Test
    void preferReturnIsHonoured() {
        Response minimal = fhir(Fixtures.patient("Olsson"))
                .header("Prefer", "return=minimal")
                .when()
                .post("/Patient");
        minimal.then().statusCode(201);
        assertThat(minimal.asString()).isEmpty();
        assertThat(minimal.header("Location")).contains("/Patient/");

        Response representation = fhir(Fixtures.patient("Persson"))
                .header("Prefer", "return=representation")
                .when()
                .post("/Patient");
        assertThat(parse(representation, Patient.class).getNameFirstRep().getFamily())
                .isEqualTo("Persson");

        Response outcome = fhir(Fixtures.patient("Quist"))
                .header("Prefer", "return=OperationOutcome")
                .when()
                .post("/Patient");
        assertThat(outcome.asString()).contains("\"resourceType\":\"OperationOutcome\"");
    }

    @Test
    void responsesAreGzippedWhenTheClientAcceptsIt() {
        String family = "Gzip" + Fixtures.uniqueValue().substring(0, 8);
        for (int i = 0; i < 5; i++) {
            create(Fixtures.patient(family));
        }

        Response response = fhir().header("Accept-Encoding", "gzip").when().get("/Patient?family=" + family);

        response.then().statusCode(200).header("Content-Encoding", "gzip");
        assertThat(parse(response, Bundle.class).getEntry()).hasSize(5);
    }

    @Test
    void responsesCarryAGeneratedNarrativeUnlessASubsetIsAsked() {
        String id = createPatient("Rydberg");

        Patient full = parse(fhir().when().get("/" + id), Patient.class);
        assertThat(full.getText().getDivAsString()).contains("RYDBERG");

        Patient summary = parse(fhir().when().get("/" + id + "?_elements=name"), Patient.class);
        assertThat(summary.hasText()).isFalse();
    }

    @Test
    void referencesMustPointAtStoredResources() {
        Goal dangling =
                Fixtures.goal("Patient/unknown-" + Fixtures.uniqueValue().substring(0, 8), "Ingen");

        Response response = fhir(dangling).when().post("/Goal");

        response.then().statusCode(400);
        assertThat(diagnostics(response)).contains("not found");
    }

    @Test
    void concurrentUpdatesWithoutIfMatchAllSucceedAndEachIsAVersion() throws Exception {
        Patient patient = Fixtures.patient("Samtidig");
        String id = create(patient);
        patient.setId(id);
        int writers = 6;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                Patient change = patient.copy();
                change.getNameFirstRep().setGiven(new ArrayList<>()).addGiven("Skrivare " + i);
                statuses.add(pool.submit(
                        () -> fhir(change).when().put("/Patient/" + id).statusCode()));
            }
            for (Future<Integer> status : statuses) {
                // Without If-Match the client asked for no version check: a write that collides
                // with another is retried on the new version, never answered 409.
                assertThat(status.get(60, TimeUnit.SECONDS)).isEqualTo(200);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(read("/Patient/" + id, Patient.class).getMeta().getVersionId())
                .isEqualTo(String.valueOf(1 + writers));
    }
}
