package se.patientkontrakt.fhir.server;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.RestAssured;
import io.restassured.response.Response;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestResourceComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.SystemRestfulInteraction;
import org.hl7.fhir.r4.model.CapabilityStatement.TypeRestfulInteraction;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationContext;
import se.patientkontrakt.fhir.FhirIT;

/** What the server says about itself: CapabilityStatement, OpenAPI, health, CORS. */
class ServerEndpointsIT extends FhirIT {

    private CapabilityStatement capabilities() {
        return parse(
                fhir().when().get("/metadata").then().statusCode(200).extract().response(), CapabilityStatement.class);
    }

    @Test
    void capabilityStatementDescribesAnR4ServerWithWhatItSupports() {
        CapabilityStatement capabilities = capabilities();

        assertThat(capabilities.getFhirVersion().toCode()).isEqualTo("4.0.1");
        assertThat(capabilities.getKind()).isEqualTo(CapabilityStatement.CapabilityStatementKind.INSTANCE);
        assertThat(capabilities.getSoftware().getName()).isEqualTo("Patientkontrakt FHIR service");
        assertThat(capabilities.getFormat())
                .extracting(f -> f.getValue())
                .contains("application/fhir+json", "application/fhir+xml");
        assertThat(capabilities.getPatchFormat()).extracting(f -> f.getValue()).contains("application/json-patch+json");

        CapabilityStatement.CapabilityStatementRestComponent rest = capabilities.getRestFirstRep();
        assertThat(rest.getInteraction())
                .extracting(i -> i.getCode())
                .contains(
                        SystemRestfulInteraction.TRANSACTION,
                        SystemRestfulInteraction.BATCH,
                        SystemRestfulInteraction.HISTORYSYSTEM);

        CapabilityStatementRestResourceComponent carePlan = rest.getResource().stream()
                .filter(r -> r.getType().equals("CarePlan"))
                .findFirst()
                .orElseThrow();
        assertThat(carePlan.getInteraction())
                .extracting(i -> i.getCode())
                .contains(
                        TypeRestfulInteraction.READ,
                        TypeRestfulInteraction.VREAD,
                        TypeRestfulInteraction.UPDATE,
                        TypeRestfulInteraction.PATCH,
                        TypeRestfulInteraction.DELETE,
                        TypeRestfulInteraction.HISTORYINSTANCE,
                        TypeRestfulInteraction.HISTORYTYPE,
                        TypeRestfulInteraction.CREATE,
                        TypeRestfulInteraction.SEARCHTYPE);
        assertThat(carePlan.getVersioning()).isEqualTo(CapabilityStatement.ResourceVersionPolicy.VERSIONEDUPDATE);
        assertThat(carePlan.getConditionalCreate()).isTrue();
        assertThat(carePlan.getConditionalUpdate()).isTrue();
        assertThat(carePlan.getSearchInclude()).extracting(s -> s.getValue()).contains("CarePlan:subject");
        assertThat(carePlan.getSearchParam()).extracting(p -> p.getName()).contains("subject", "status", "category");
    }

    @Autowired
    private ApplicationContext context;

    @Test
    void untilTheServerIsReadyEveryFhirRequestIsRefusedWith503AndNothingIsStored() {
        String family = "NotYetReady" + System.nanoTime();
        AvailabilityChangeEvent.publish(context, ReadinessState.REFUSING_TRAFFIC);
        try {
            Response metadata = fhir().when().get("/metadata");
            metadata.then().statusCode(503).header("Retry-After", "5");
            assertThat(parse(metadata, OperationOutcome.class)
                            .getIssueFirstRep()
                            .getDiagnostics())
                    .contains("starting");
            fhir(Fixtures.patient(family)).when().post("/Patient").then().statusCode(503);
            // Liveness is not the FHIR endpoint's business: the health endpoint still answers.
            given().basePath("/")
                    .port(port)
                    .when()
                    .get("/actuator/health/liveness")
                    .then()
                    .statusCode(200);
        } finally {
            AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
        }
        capabilities();
        Bundle none = parse(
                fhir().queryParam("family", family)
                        .when()
                        .get("/Patient")
                        .then()
                        .statusCode(200)
                        .extract()
                        .response(),
                Bundle.class);
        assertThat(none.getEntry()).isEmpty();
    }

    @Test
    void capabilityStatementListsOnlyTheOperationsTheServerAnswers() {
        CapabilityStatement capabilities = capabilities();

        assertThat(capabilities.getRestFirstRep().getResource().stream()
                        .flatMap(r -> r.getOperation().stream())
                        .map(o -> o.getName()))
                .doesNotContain("graphql");
        fhir().queryParam("query", "{Patient{id}}")
                .when()
                .get("/$graphql")
                .then()
                .statusCode(400);
    }

    @Test
    void capabilityStatementListsTheBulkDataExportAndItsFilesReadOnly() {
        CapabilityStatement.CapabilityStatementRestComponent rest =
                capabilities().getRestFirstRep();

        assertThat(rest.getOperation()).extracting(o -> o.getName()).contains("export", "export-poll-status");
        for (String type : List.of("Patient", "Group")) {
            assertThat(resource(rest, type).getOperation())
                    .extracting(o -> o.getName())
                    .as(type)
                    .contains("export");
        }
        CapabilityStatementRestResourceComponent files = resource(rest, "Binary");
        assertThat(files.getInteraction()).extracting(i -> i.getCode()).containsExactly(TypeRestfulInteraction.READ);
        assertThat(files.getSearchParam()).isEmpty();
        assertThat(files.getOperation()).isEmpty();
    }

    private static CapabilityStatementRestResourceComponent resource(
            CapabilityStatement.CapabilityStatementRestComponent rest, String type) {
        return rest.getResource().stream()
                .filter(r -> r.getType().equals(type))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void openApiAndSwaggerUiAreServed() {
        Response apiDocs = given().when().get("/api-docs");
        apiDocs.then().statusCode(200);
        assertThat(apiDocs.asString())
                .startsWith("openapi: 3.")
                .contains("/CarePlan/{id}:", "/Patient/{id}/_history:", "/Patient/{id}/$patientkontrakt:");

        Response swagger = given().accept("text/html").when().get("/swagger-ui/");
        swagger.then().statusCode(200);
        assertThat(swagger.asString()).containsIgnoringCase("swagger");
    }

    @Test
    void healthAndReadinessAreUpAndOtherActuatorEndpointsAreClosed() {
        Response health = given().basePath("/").port(port).when().get("/actuator/health");
        health.then().statusCode(200);
        assertThat(health.jsonPath().getString("status")).isEqualTo("UP");

        given().basePath("/")
                .port(port)
                .when()
                .get("/actuator/health/readiness")
                .then()
                .statusCode(200);
        given().basePath("/").port(port).when().get("/actuator/info").then().statusCode(200);
        given().basePath("/").port(port).when().get("/actuator/env").then().statusCode(404);
        given().basePath("/").port(port).when().get("/actuator/beans").then().statusCode(404);
    }

    @Test
    void corsAllowsTheConfiguredPortalOriginOnly() {
        Response allowed = RestAssured.given()
                .header("Origin", "https://portal.example.se")
                .header("Access-Control-Request-Method", "PUT")
                .header("Access-Control-Request-Headers", "if-match,content-type")
                .when()
                .options("/CarePlan/1");
        allowed.then().statusCode(200);
        assertThat(allowed.header("Access-Control-Allow-Origin")).isEqualTo("https://portal.example.se");
        assertThat(allowed.header("Access-Control-Allow-Methods")).contains("PUT");

        Response refused = RestAssured.given()
                .header("Origin", "https://elsewhere.example.com")
                .header("Access-Control-Request-Method", "GET")
                .when()
                .options("/CarePlan/1");
        refused.then().statusCode(403);
        assertThat(refused.header("Access-Control-Allow-Origin")).isNull();

        Response simple =
                fhir().header("Origin", "https://portal.example.se").when().get("/metadata");
        assertThat(simple.header("Access-Control-Allow-Origin")).isEqualTo("https://portal.example.se");
        assertThat(simple.header("Access-Control-Expose-Headers")).contains("ETag", "Location");
    }
}
