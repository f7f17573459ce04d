package se.patientkontrakt.fhir.server;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import java.nio.file.Files;
import java.nio.file.Path;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import se.patientkontrakt.fhir.FhirIT;
import se.patientkontrakt.fhir.PatientkontraktApplication;

/**
 * What a client was told is stored survives a restart: write, stop the whole application, start a
 * new one on the same database (H2 file directory or PostgreSQL), read back every version.
 */
class RestartDurabilityIT {

    private static final FhirContext FHIR = FhirContext.forR4Cached();

    @Test
    void writesSurviveARestart() throws Exception {
        Path dataDir = Files.createTempDirectory(Path.of("target"), "restart-");
        Patient patient = Fixtures.patient("Restart");

        String id;
        try (ConfigurableApplicationContext first = start(dataDir)) {
            int port = port(first);
            id = given().port(port)
                    .basePath("/")
                    .contentType("application/fhir+json")
                    .body(FHIR.newJsonParser().encodeResourceToString(patient))
                    .when()
                    .post("/fhir/Patient")
                    .then()
                    .statusCode(201)
                    .extract()
                    .path("id");
            patient.setId(id);
            patient.getNameFirstRep().setFamily("Restarted");
            given().port(port)
                    .basePath("/")
                    .contentType("application/fhir+json")
                    .header("If-Match", "W/\"1\"")
                    .body(FHIR.newJsonParser().encodeResourceToString(patient))
                    .when()
                    .put("/fhir/Patient/" + id)
                    .then()
                    .statusCode(200);
        }

        try (ConfigurableApplicationContext second = start(dataDir)) {
            int port = port(second);
            Patient current = FHIR.newJsonParser()
                    .parseResource(
                            Patient.class,
                            given().port(port)
                                    .basePath("/")
                                    .when()
                                    .get("/fhir/Patient/" + id)
                                    .then()
                                    .statusCode(200)
                                    .extract()
                                    .asString());
            Patient first = FHIR.newJsonParser()
                    .parseResource(
                            Patient.class,
                            given().port(port)
                                    .basePath("/")
                                    .when()
                                    .get("/fhir/Patient/" + id + "/_history/1")
                                    .then()
                                    .statusCode(200)
                                    .extract()
                                    .asString());
            assertThat(current.getMeta().getVersionId()).isEqualTo("2");
            assertThat(current.getNameFirstRep().getFamily()).isEqualTo("Restarted");
            assertThat(current.getIdentifierFirstRep().getValue())
                    .isEqualTo(patient.getIdentifierFirstRep().getValue());
            assertThat(first.getNameFirstRep().getFamily()).isEqualTo("Restart");
        }
        if (System.getProperty("it.database", "").isBlank()) {
            // On H2 the data must be in the test's own directory, not the shared test database.
            assertThat(dataDir.resolve("patientkontrakt.mv.db")).exists();
        }
    }

    private static ConfigurableApplicationContext start(Path dataDir) {
        // Command-line arguments, not builder properties: those are only defaults, and the test
        // profile's data directory would win over them.
        return new SpringApplicationBuilder(PatientkontraktApplication.class)
                .profiles(FhirIT.Profiles.profiles())
                .run("--server.port=0", "--patientkontrakt.data-dir=" + dataDir.toAbsolutePath());
    }

    private static int port(ConfigurableApplicationContext context) {
        return Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
    }
}
