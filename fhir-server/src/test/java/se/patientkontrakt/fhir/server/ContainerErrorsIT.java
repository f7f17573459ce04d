package se.patientkontrakt.fhir.server;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.parser.IParser;
import io.restassured.response.Response;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import se.patientkontrakt.fhir.FhirIT;

/**
 * Every error the servlet container or Spring answers, outside HAPI, is a FHIR OperationOutcome
 * that says what was wrong: JSON by default, XML when the client asks for it, never Tomcat's HTML
 * page or Spring Boot's JSON with its timestamp. Requests that no HTTP client would send are sent
 * over a socket as they are.
 */
class ContainerErrorsIT extends FhirIT {

    /** A request Tomcat refuses before any filter sees it; what the answer must say. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "G(T /fhir/Patient HTTP/1.0                          | | 400 | Invalid character found in method name",
                "GET /fhir/Patient?name=<b> HTTP/1.0                  | | 400 | Invalid character found in the request target",
                "GET /fhir/Patient/%zz HTTP/1.0                       | | 400 | Invalid URI",
                "GET /fhir/Pat%00ient HTTP/1.0                        | | 400 | Invalid URI",
                "GET /fhir/Patient HTTP/1.0                           | Bad Header: x | 400 | does not conform to RFC 7230",
                "GET /fhir/Patient HTTP/9.9                           | | 505 | HTTP Version not supported",
            })
    void tomcatsOwnRefusalsAreOperationOutcomes(String requestLine, String header, int status, String says)
            throws IOException {
        RawResponse response = send(requestLine, header == null ? "" : header);

        assertThat(response.status()).isEqualTo(status);
        assertThat(response.header("Content-Type")).startsWith("application/fhir+json");
        assertThat(response.body()).doesNotContain("<html", "Exception", "Apache Tomcat");
        OperationOutcome outcome = fhirContext.newJsonParser().parseResource(OperationOutcome.class, response.body());
        assertThat(outcome.getIssueFirstRep().getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
        assertThat(outcome.getIssueFirstRep().getDiagnostics()).contains(says);
    }

    @Test
    void aRequestLineLongerThanTomcatTakesIs400() throws IOException {
        RawResponse response = send("GET /fhir/Patient?_id=" + "x".repeat(10_000) + " HTTP/1.0", "");

        assertThat(response.status()).isEqualTo(400);
        assertThat(diagnostics(response, "json")).contains("The request could not be read");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "/fhir/Patient/%zz?_format=xml      | ",
                "/fhir/Patient/%zz                  | Accept: application/fhir+xml",
                "/fhir/Patient/%zz                  | Accept: application/xml",
            })
    void tomcatsRefusalsAreXmlWhenTheClientAsks(String target, String accept) throws IOException {
        RawResponse response = send("GET " + target + " HTTP/1.0", accept == null ? "" : accept);

        assertThat(response.status()).isEqualTo(400);
        assertThat(diagnostics(response, "xml")).contains("Invalid URI");
    }

    /** Tomcat lets a query string through as it came; HAPI failed on such a % with 500. */
    @Test
    void aPercentSignThatEncodesNothingIs400NotAServerError() throws IOException {
        RawResponse response = send("GET /fhir/Patient?name=%zz HTTP/1.0", "");

        assertThat(response.status()).isEqualTo(400);
        assertThat(diagnostics(response, "json")).contains("'%zz'", "percent-encoded");

        RawResponse xml = send("GET /fhir/Patient?name=100%&family=x HTTP/1.0", "Accept: application/fhir+xml");

        assertThat(xml.status()).isEqualTo(400);
        assertThat(diagnostics(xml, "xml")).contains("'%&f'");
    }

    @Test
    void anUnknownPageIs404() {
        Response response =
                given().basePath("").accept("application/json").when().get("/no-such-page");

        response.then().statusCode(404).contentType("application/fhir+json");
        assertThat(response.asString()).doesNotContain("timestamp");
        assertThat(outcome(response).getIssueFirstRep().getCode()).isEqualTo(IssueType.NOTFOUND);
        assertThat(diagnostics(response)).contains("/no-such-page");
    }

    @Test
    void aMethodAPageDoesNotTakeIs405AndSaysWhichItTakes() {
        Response response = given().basePath("").when().delete("/sidor/sidor.css");

        response.then().statusCode(405).contentType("application/fhir+json");
        assertThat(diagnostics(response)).contains("DELETE", "/sidor/sidor.css", "GET");
    }

    @Test
    void springsErrorsAreXmlWhenTheClientAsks() {
        for (var request : java.util.List.of(
                given().basePath("").accept("application/fhir+xml"),
                given().basePath("").accept("application/xml"),
                given().basePath("").accept("text/html, application/xml;q=0.9, application/json;q=0.8"),
                given().basePath("").queryParam("_format", "xml"))) {
            Response response = request.when().get("/no-such-page");

            response.then().statusCode(404).contentType("application/fhir+xml");
            assertThat(fhirContext
                            .newXmlParser()
                            .parseResource(OperationOutcome.class, response.asString())
                            .getIssueFirstRep()
                            .getDiagnostics())
                    .contains("/no-such-page");
        }
    }

    @Test
    void aPathTheFirewallRefusesIs400AndSaysWhy() throws IOException {
        RawResponse response = send("GET /fhir/..;/Patient HTTP/1.0", "");

        assertThat(response.status()).isEqualTo(400);
        assertThat(diagnostics(response, "json")).contains("The request was refused", "rejected");
    }

    /** The filters' refusals (here the body limit) negotiate the format as HAPI does. */
    @Test
    void aFiltersRefusalIsXmlWhenTheClientAsks() {
        byte[] body = ("<Patient xmlns=\"http://hl7.org/fhir\"><text><status value=\"generated\"/><div"
                        + " xmlns=\"http://www.w3.org/1999/xhtml\">" + "x".repeat(1_100_000)
                        + "</div></text></Patient>")
                .getBytes(StandardCharsets.UTF_8);

        Response response = given().contentType("application/fhir+xml")
                .accept("application/fhir+xml")
                .body(body)
                .when()
                .post("/Patient");

        response.then().statusCode(413).contentType("application/fhir+xml");
        assertThat(fhirContext
                        .newXmlParser()
                        .parseResource(OperationOutcome.class, response.asString())
                        .getIssueFirstRep()
                        .getCode())
                .isEqualTo(IssueType.TOOLONG);
    }

    /** The diagnostics of the OperationOutcome a raw answer carries, in the {@code format} asked for. */
    private String diagnostics(RawResponse response, String format) {
        assertThat(response.header("Content-Type")).startsWith("application/fhir+" + format);
        IParser parser = format.equals("xml") ? fhirContext.newXmlParser() : fhirContext.newJsonParser();
        return parser.parseResource(OperationOutcome.class, response.body())
                .getIssueFirstRep()
                .getDiagnostics();
    }

    record RawResponse(int status, String head, String body) {
        String header(String name) {
            for (String line : head.split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith(name.toLowerCase(Locale.ROOT) + ":")) {
                    return line.substring(name.length() + 1).trim();
                }
            }
            return null;
        }
    }

    /** One request over a fresh connection, as written; HTTP/1.0, so the answer is not chunked. */
    private RawResponse send(String requestLine, String header) throws IOException {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            String request = requestLine + "\r\nHost: localhost\r\n" + (header.isBlank() ? "" : header + "\r\n")
                    + "Connection: close\r\n\r\n";
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            in.transferTo(received);
            String text = received.toString(StandardCharsets.UTF_8);
            int end = text.indexOf("\r\n\r\n");
            String head = text.substring(0, end);
            int status = Integer.parseInt(head.split(" ")[1]);
            return new RawResponse(status, head, text.substring(end + 4));
        }
    }
}
