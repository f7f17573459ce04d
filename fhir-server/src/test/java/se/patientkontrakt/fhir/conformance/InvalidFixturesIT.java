package se.patientkontrakt.fhir.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import se.patientkontrakt.fhir.FhirIT;

/**
 * Each file in {@code src/test/resources/invalid/} breaks one patient-contract rule; each is
 * refused with 422, an OperationOutcome whose message is the one listed in
 * {@code expected-messages.properties} and that says where, and nothing is stored.
 */
class InvalidFixturesIT extends FhirIT {

    private static final Path INVALID = Path.of("src", "test", "resources", "invalid");

    static Stream<Arguments> fixtures() throws IOException {
        Properties expected = new Properties();
        try (InputStream in = Files.newInputStream(INVALID.resolve("expected-messages.properties"))) {
            expected.load(in);
        }
        return expected.stringPropertyNames().stream()
                .sorted()
                .map(name -> Arguments.of(name, expected.getProperty(name)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void isRefusedWith422AndTheRule(String fileName, String expectedMessage) {
        String body = read(INVALID.resolve(fileName));
        Resource resource = (Resource) fhirContext.newJsonParser().parseResource(body);
        String path = "/" + resource.fhirType() + "/" + resource.getIdElement().getIdPart();

        Response response = fhir().body(body).when().put(path);

        response.then().statusCode(422);
        OperationOutcome outcome = outcome(response);
        assertThat(outcome.getIssue()).isNotEmpty().allSatisfy(issue -> {
            assertThat(issue.getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
            assertThat(issue.getExpression())
                    .as("where: %s", issue.getDiagnostics())
                    .isNotEmpty();
        });
        assertThat(diagnostics(response)).contains(expectedMessage);
        if (fileName.equals("CarePlan-missing-subject.json")) {
            assertThat(outcome.getIssueFirstRep().getExpression().get(0).getValue())
                    .isEqualTo("CarePlan.subject");
        }
        fhir().when().get(path).then().statusCode(404);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
