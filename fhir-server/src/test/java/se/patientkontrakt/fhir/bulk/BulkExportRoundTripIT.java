package se.patientkontrakt.fhir.bulk;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.restassured.RestAssured;
import io.restassured.response.Response;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.PatientkontraktApplication;
import se.patientkontrakt.fhir.population.PopulationLoader;
import se.patientkontrakt.fhir.security.SecuredFhirIT;
import se.patientkontrakt.fhir.security.TestTokens;

/**
 * What the warehouse exports is whole: a patient's contract, exported with Bulk Data ({@code
 * $export} with {@code _typeFilter} naming exactly what the patient's portal view shows), then
 * loaded from the NDJSON files into an empty server (a second application on a database of its own)
 * with the population loader, gives the same portal view there, resource for resource.
 */
class BulkExportRoundTripIT extends SecuredFhirIT {

    private static final String WAREHOUSE = TestTokens.regionWide("system/*.read");

    /** What refers to what: the types in an order in which every reference is already stored. */
    private static final List<String> LOAD_ORDER =
            List.of("Organization", "Practitioner", "PractitionerRole", "Patient", "CareTeam", "Goal", "CarePlan");

    @TempDir
    Path directory;

    @Test
    void aContractExportedAndLoadedIntoAnEmptyServerGivesTheSamePortalView() throws Exception {
        ContractFixture contract = storedContract();
        Bundle view = read(EHR, contract.patientId() + "/$patientkontrakt", Bundle.class);
        Map<String, List<String>> shown = new TreeMap<>();
        for (Bundle.BundleEntryComponent entry : view.getEntry()) {
            Resource resource = entry.getResource();
            shown.computeIfAbsent(resource.fhirType(), type -> new ArrayList<>())
                    .add(resource.getIdElement().getIdPart());
        }
        assertThat(shown).containsKeys("Patient", "CarePlan", "CareTeam", "Goal", "Practitioner", "Organization");

        // One _typeFilter per resource, each naming exactly one.
        String typeFilters = shown.entrySet().stream()
                .flatMap(type -> type.getValue().stream()
                        .map(id -> "&_typeFilter="
                                + URLEncoder.encode(type.getKey() + "?_id=" + id, StandardCharsets.UTF_8)))
                .collect(Collectors.joining());
        Response kickOff = as(WAREHOUSE)
                .header("Prefer", "respond-async")
                .urlEncodingEnabled(false)
                .when()
                .get("/$export?_type=" + String.join(",", shown.keySet()) + typeFilters);
        kickOff.then().statusCode(202);
        Map<String, List<String>> exported = download(await(kickOff.header("Content-Location")));
        assertThat(exported).containsOnlyKeys(shown.keySet());
        shown.forEach((type, ids) -> assertThat(exported.get(type)).hasSameSizeAs(ids));

        List<Path> files = new ArrayList<>();
        for (String type : LOAD_ORDER) {
            if (exported.containsKey(type)) {
                Path file = directory.resolve(type + ".ndjson");
                Files.write(file, referencedFirst(type, exported.get(type)));
                files.add(file);
            }
        }

        Path dataDir = Files.createTempDirectory(Path.of("target"), "round-trip-");
        try (ConfigurableApplicationContext empty = emptyServer(dataDir)) {
            int port = Integer.parseInt(empty.getEnvironment().getProperty("local.server.port"));
            String base = "http://localhost:" + port + "/fhir";
            PopulationLoader.Result loaded = new PopulationLoader(new PopulationLoader.Settings(
                            URI.create(base),
                            Optional::empty,
                            20,
                            1,
                            1_000_000,
                            directory.resolve("rejected.tsv"),
                            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)))
                    .load(files);
            assertThat(loaded.rejected()).isEmpty();
            assertThat(loaded.stored())
                    .isEqualTo(shown.values().stream().mapToLong(List::size).sum());

            Bundle copy = fhirContext
                    .newJsonParser()
                    .parseResource(
                            Bundle.class,
                            given().when()
                                    .get(base + "/" + contract.patientId() + "/$patientkontrakt")
                                    .then()
                                    .statusCode(200)
                                    .extract()
                                    .asString());
            assertThat(contents(copy)).isEqualTo(contents(view));
        }
    }

    /** The empty server: this application on an H2 database of its own, open, without the examples. */
    private static ConfigurableApplicationContext emptyServer(Path dataDir) {
        String url = "jdbc:h2:file:" + dataDir.toAbsolutePath() + "/patientkontrakt;DB_CLOSE_ON_EXIT=FALSE";
        // Command-line arguments: they win over the environment a PostgreSQL test run sets.
        return new SpringApplicationBuilder(PatientkontraktApplication.class)
                .run(
                        "--server.port=0",
                        "--patientkontrakt.data-dir=" + dataDir.toAbsolutePath(),
                        "--spring.datasource.url=" + url,
                        "--spring.datasource.username=sa",
                        "--spring.datasource.password=",
                        "--spring.datasource.driver-class-name=org.h2.Driver",
                        "--patientkontrakt.demo.load-examples=false");
    }

    /** Each resource of the view as JSON without what a store sets (version, time, source), by id. */
    private Map<String, String> contents(Bundle view) {
        Map<String, String> contents = new TreeMap<>();
        for (Bundle.BundleEntryComponent entry : view.getEntry()) {
            Resource resource = entry.getResource().copy();
            resource.getMeta().setVersionId(null).setLastUpdated(null).setSource(null);
            contents.put(
                    resource.fhirType() + "/" + resource.getIdElement().getIdPart(),
                    fhirContext
                            .newJsonParser()
                            .encodeResourceToString(resource.setIdElement(
                                    resource.getIdElement().toUnqualifiedVersionless())));
        }
        return contents;
    }

    /** Lines that refer to no other resource of their own type first (a unit's parent before it). */
    private static List<String> referencedFirst(String type, List<String> lines) {
        return lines.stream()
                .sorted(Comparator.comparing(line -> line.contains("\"reference\":\"" + type + "/")))
                .toList();
    }

    private static Response await(String poll) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            Response response =
                    RestAssured.given().auth().oauth2(WAREHOUSE).when().get(poll);
            if (response.statusCode() != 202) {
                response.then().statusCode(200);
                return response;
            }
            Thread.sleep(250);
        }
        return fail("the export did not complete within a minute: " + poll);
    }

    /** The lines of every file of the manifest, by type. */
    private static Map<String, List<String>> download(Response manifest) {
        Map<String, List<String>> lines = new LinkedHashMap<>();
        List<Map<String, String>> outputs = manifest.jsonPath().getList("output");
        for (Map<String, String> output : outputs) {
            String body = RestAssured.given()
                    .auth()
                    .oauth2(WAREHOUSE)
                    .accept("application/fhir+ndjson")
                    .when()
                    .get(output.get("url"))
                    .then()
                    .statusCode(200)
                    .extract()
                    .asString();
            for (String line : body.split("\n")) {
                if (!line.isBlank()) {
                    lines.computeIfAbsent(output.get("type"), type -> new ArrayList<>())
                            .add(line);
                }
            }
        }
        return lines;
    }
}
