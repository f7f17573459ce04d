package se.patientkontrakt.fhir.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import io.restassured.response.Response;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueSeverity;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import se.patientkontrakt.fhir.FhirIT;

/**
 * Every file in {@code examples/} against the running server: each transaction Bundle is
 * accepted (again: the demo loader stored them at start-up, and a second run changes nothing),
 * each resource a Bundle holds is stored and readable, and every resource validates against the
 * profile it declares through the standard {@code $validate} operation. The Provenance examples
 * are in no Bundle: a Provenance is the server's own record of a write, not data a client loads.
 */
class ExamplesIT extends FhirIT {

    static Stream<Path> transactionBundles() {
        return files().filter(p -> p.getFileName().toString().startsWith("Bundle-"));
    }

    static Stream<Path> resources() {
        return files().filter(p -> !p.getFileName().toString().startsWith("Bundle-"));
    }

    /** The resources the transaction Bundles store: {@code {type}-{id}.json} for each entry's {@code PUT {type}/{id}}. */
    static Stream<Path> storedResources() {
        Set<String> stored = transactionBundles()
                .map(file -> FhirContext.forR4Cached().newJsonParser().parseResource(Bundle.class, read(file)))
                .flatMap(bundle -> bundle.getEntry().stream())
                .map(entry -> entry.getRequest().getUrl().replace('/', '-') + ".json")
                .collect(Collectors.toSet());
        return resources().filter(p -> stored.contains(p.getFileName().toString()));
    }

    private static Stream<Path> files() {
        return ConformanceFolders.jsonFiles("examples");
    }

    private static String read(Path file) {
        return ConformanceFolders.read(file);
    }

    @ParameterizedTest
    @MethodSource("transactionBundles")
    void transactionIsAcceptedAndIdempotent(Path file) {
        Response response = fhir().body(read(file)).when().post("/");

        response.then().statusCode(200);
        Bundle result = parse(response, Bundle.class);
        assertThat(result.getType()).isEqualTo(Bundle.BundleType.TRANSACTIONRESPONSE);
        assertThat(result.getEntry())
                .isNotEmpty()
                .allSatisfy(entry -> assertThat(entry.getResponse().getStatus()).startsWith("200"));
    }

    @ParameterizedTest
    @MethodSource("storedResources")
    void resourceIsStored(Path file) {
        Resource example = (Resource) fhirContext.newJsonParser().parseResource(read(file));
        String path = "/" + example.fhirType() + "/" + example.getIdElement().getIdPart();

        Resource stored = (Resource) fhirContext
                .newJsonParser()
                .parseResource(
                        fhir().when().get(path).then().statusCode(200).extract().asString());
        assertThat(stored.getMeta().getProfile())
                .extracting(p -> p.getValue())
                .containsAll(example.getMeta().getProfile().stream()
                        .map(p -> p.getValue())
                        .toList());
    }

    @ParameterizedTest
    @MethodSource("resources")
    void resourceValidatesAgainstItsProfile(Path file) {
        Resource example = (Resource) fhirContext.newJsonParser().parseResource(read(file));
        String profile = example.getMeta().getProfile().get(0).getValue();
        Response validation = fhir().body(read(file))
                .queryParam("profile", profile)
                .when()
                .post("/" + example.fhirType() + "/$validate");
        OperationOutcome outcome = outcome(validation);
        assertThat(outcome.getIssue())
                .as("errors validating %s against %s", file.getFileName(), profile)
                .noneMatch(i -> i.getSeverity() == IssueSeverity.ERROR || i.getSeverity() == IssueSeverity.FATAL);
        validation.then().statusCode(200);
    }
}
