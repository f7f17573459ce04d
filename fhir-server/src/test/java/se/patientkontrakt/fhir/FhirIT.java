package se.patientkontrakt.fhir;

import ca.uhn.fhir.context.FhirContext;
import io.restassured.RestAssured;
import io.restassured.config.EncoderConfig;
import io.restassured.config.RestAssuredConfig;
import io.restassured.filter.log.ErrorLoggingFilter;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.SearchEntryMode;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.ActiveProfilesResolver;

/**
 * Base of the integration tests: the real server on a random port, reached over HTTP with REST
 * Assured at {@code /fhir} in FHIR JSON. The database is the embedded H2 file by default; the
 * Maven profile {@code postgres} sets {@code it.database=postgres} to run the same tests against
 * PostgreSQL. Tests never assume an empty database: each makes its own data. The server's clock
 * is a {@link SettableClock}, which a test may move to another day.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ActiveProfiles(resolver = FhirIT.Profiles.class)
@Import(SettableClock.Config.class)
public abstract class FhirIT {

    protected static final String FHIR_JSON = "application/fhir+json";

    @LocalServerPort
    protected int port;

    @Autowired
    protected FhirContext fhirContext;

    @BeforeEach
    void pointRestAssuredAtServer() {
        RestAssured.port = port;
        RestAssured.basePath = "/fhir";
        RestAssured.enableLoggingOfRequestAndResponseIfValidationFails();
        // REST Assured would send an unknown type such as application/fhir+json as ISO-8859-1;
        // the server reads FHIR bodies as UTF-8, so å, ä and ö must be sent as UTF-8.
        RestAssured.config = RestAssuredConfig.config()
                .encoderConfig(EncoderConfig.encoderConfig().defaultContentCharset(StandardCharsets.UTF_8));
    }

    protected static RequestSpecification fhir() {
        return RestAssured.given().contentType(FHIR_JSON).accept(FHIR_JSON);
    }

    protected RequestSpecification fhir(IBaseResource body) {
        return fhir().body(json(body));
    }

    protected String json(IBaseResource resource) {
        return fhirContext.newJsonParser().encodeResourceToString(resource);
    }

    protected <T extends IBaseResource> T parse(Response response, Class<T> type) {
        return fhirContext.newJsonParser().parseResource(type, response.asString());
    }

    /** POST a new resource, which must answer 201; the id the server gave it. */
    protected String create(IBaseResource resource) {
        return create(fhir(), resource);
    }

    /** POST a new resource as the request says (a token, say), which must answer 201; its id. */
    protected String create(RequestSpecification request, IBaseResource resource) {
        return request.body(json(resource))
                .when()
                .post("/" + fhirContext.getResourceType(resource))
                .then()
                .statusCode(201)
                .extract()
                .path("id");
    }

    /** GET a path that must answer 200, parsed as the given type. */
    protected <T extends IBaseResource> T read(String path, Class<T> type) {
        return parse(fhir().when().get(path).then().statusCode(200).extract().response(), type);
    }

    /** The unversioned ids ({@code Type/id}) of a search Bundle's entries in the given mode. */
    protected static List<String> ids(Bundle bundle, SearchEntryMode mode) {
        return bundle.getEntry().stream()
                .filter(e -> e.getSearch().getMode() == mode)
                .map(e -> e.getResource()
                        .getIdElement()
                        .toUnqualifiedVersionless()
                        .getValue())
                .toList();
    }

    protected OperationOutcome outcome(Response response) {
        return parse(response, OperationOutcome.class);
    }

    /** The diagnostics of every issue, joined, for assertions on what the server said. */
    protected String diagnostics(Response response) {
        return outcome(response).getIssue().stream()
                .map(OperationOutcome.OperationOutcomeIssueComponent::getDiagnostics)
                .reduce("", (a, b) -> a + " " + b);
    }

    /** Active profiles: {@code test}, plus the database named by {@code -Dit.database}. */
    public static class Profiles implements ActiveProfilesResolver {
        @Override
        public String[] resolve(Class<?> testClass) {
            return profiles();
        }

        public static String[] profiles() {
            String database = System.getProperty("it.database", "");
            return Stream.concat(Stream.of("test"), Arrays.stream(database.split(",")))
                    .filter(profile -> !profile.isBlank())
                    .toArray(String[]::new);
        }
    }

    /** A request with the token as its bearer; every 4xx/5xx body is printed, to see why a test failed. */
    public static RequestSpecification as(String token) {
        return fhir().auth().oauth2(token).filter(new ErrorLoggingFilter());
    }

    /** GET a path that must answer 200 to the token, parsed as the given type. */
    protected <T extends IBaseResource> T read(String token, String path, Class<T> type) {
        return parse(
                as(token)
                        .when()
                        .get("/" + path)
                        .then()
                        .statusCode(200)
                        .extract()
                        .response(),
                type);
    }

    protected Bundle search(String token, String path) {
        return parse(as(token).when().get(path).then().statusCode(200).extract().response(), Bundle.class);
    }
}
