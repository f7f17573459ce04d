package se.patientkontrakt.fhir.server;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeSearchParam;
import ca.uhn.fhir.rest.api.RestSearchParameterTypeEnum;
import io.restassured.response.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.SearchParameter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import se.patientkontrakt.fhir.FhirIT;

/**
 * No value a client can put in a search is a server error: for every search parameter of the
 * contract's resource types (FHIR's own and ours in {@code profiles/}), values at the edges of
 * their type (year 0000 and 9999, a prefix with no date, numbers beyond any index, empty values,
 * modifiers that do not exist or do not fit, a value of 10,000 characters) and odd result
 * controls ({@code _count}, {@code _offset}, {@code _sort}, {@code _include} …) are answered with
 * a result or with a 4xx and an OperationOutcome, never with 5xx. Where the server itself had to
 * refuse a value, the answer names the parameter and why.
 */
class EdgeValuesIT extends FhirIT {

    private static final List<String> TYPES = List.of("CarePlan", "CareTeam", "Patient", "Goal");

    private static final String LONG = "x".repeat(10_000);

    private static final Map<RestSearchParameterTypeEnum, List<String>> VALUES = Map.of(
            RestSearchParameterTypeEnum.DATE,
            List.of(
                    "0000",
                    "0000-01-01",
                    "lt0000-01-01",
                    "le0001-01-01",
                    "gt9999-12-31",
                    "sa9999-12-31",
                    "eb0000-01-01",
                    "ap0000-01-01",
                    "ne0000-01-01T00:00:00Z",
                    "10000-01-01",
                    "2026-02-30",
                    "lt"),
            RestSearchParameterTypeEnum.TOKEN,
            List.of("|", "||", "a|b|c", "http://x|", "99999999999999999999", ","),
            RestSearchParameterTypeEnum.REFERENCE,
            List.of(
                    "Patient/",
                    "/",
                    "Patient/../x",
                    "http://",
                    "Patient/1/_history/x",
                    "99999999999999999999",
                    "Unknown/1",
                    "Patient?x=1"),
            RestSearchParameterTypeEnum.STRING,
            List.of("%", "\u0000", "ä".repeat(300)),
            RestSearchParameterTypeEnum.URI,
            List.of(":", "http://[", "urn:"),
            RestSearchParameterTypeEnum.COMPOSITE,
            List.of("$", "a$b$c"));

    private static final List<String> COMMON_VALUES = List.of("", "99999999999999999999");

    private static final List<String> MODIFIERS = List.of(
            ":missing=maybe",
            ":missing=",
            ":exact=x",
            ":contains=x",
            ":not=x",
            ":below=x",
            ":in=x",
            ":Patient=x",
            ":no-such-modifier=x",
            ":=x");

    /** Every search parameter of the contract's types, FHIR's and the ones this server adds. */
    static Stream<Arguments> searchParameters() {
        FhirContext r4 = FhirContext.forR4Cached();
        Map<String, Arguments> parameters = new TreeMap<>();
        for (String type : TYPES) {
            for (RuntimeSearchParam parameter : r4.getResourceDefinition(type).getSearchParams()) {
                parameters.put(
                        type + "?" + parameter.getName(),
                        Arguments.of(type, parameter.getName(), parameter.getParamType()));
            }
        }
        for (SearchParameter ours : shippedSearchParameters(r4)) {
            for (var base : ours.getBase()) {
                if (TYPES.contains(base.getCode())) {
                    parameters.put(
                            base.getCode() + "?" + ours.getCode(),
                            Arguments.of(
                                    base.getCode(),
                                    ours.getCode(),
                                    RestSearchParameterTypeEnum.forCode(
                                            ours.getType().toCode())));
                }
            }
        }
        return parameters.values().stream();
    }

    @ParameterizedTest(name = "{0}?{1} ({2})")
    @MethodSource("searchParameters")
    void noEdgeValueOfASearchParameterIsAServerError(
            String type, String parameter, RestSearchParameterTypeEnum parameterType) {
        List<String> queries = new ArrayList<>();
        Stream.concat(VALUES.getOrDefault(parameterType, List.of()).stream(), COMMON_VALUES.stream())
                .forEach(value -> queries.add(encode(parameter) + "=" + encode(value)));
        MODIFIERS.forEach(modifier -> {
            int equals = modifier.indexOf('=');
            queries.add(
                    encode(parameter) + modifier.substring(0, equals) + "=" + encode(modifier.substring(equals + 1)));
        });
        queries.add(encode(parameter + ".name") + "=x");
        queries.add("_sort=" + encode(parameter));
        queries.add("_sort=-" + encode(parameter));

        assertThat(serverErrors(type, queries)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"CarePlan", "CareTeam", "Patient", "Goal"})
    void noOddResultControlIsAServerError(String type) {
        List<String> queries = List.of(
                "_count=-1",
                "_count=0",
                "_count=99999999999",
                "_count=abc",
                "_count=",
                "_offset=abc",
                "_offset=",
                "_sort=",
                "_sort=-",
                "_sort=no-such-parameter",
                "_sort=subject.name",
                "_sort=_id,_id,-_id",
                "_sort=" + encode(":x"),
                "_include=",
                "_include=*",
                "_include=" + encode(":"),
                "_include=" + type,
                "_include=" + encode(type + ":"),
                "_include=" + encode(type + ":no-such-parameter"),
                "_include=" + encode(type + ":subject:NoSuchType"),
                "_include=" + encode("*:*"),
                "_include:iterate=*",
                "_include:no-such-modifier=*",
                "_revinclude=*",
                "_revinclude=" + encode("x:y"),
                "_revinclude=" + encode("Provenance:target"),
                "_total=x",
                "_total=accurate",
                "_summary=x",
                "_summary=count",
                "_elements=",
                "_elements=" + encode("x.y"),
                "_has=x",
                "_has:NoSuchType:subject:status=active",
                "_has:CarePlan:subject:status=",
                "_contained=x",
                "_id=",
                "_id=" + "a".repeat(100),
                "_lastUpdated=lt0000-01-01",
                "_lastUpdated=gt9999-12-31",
                "_format=x",
                "no-such-parameter=x",
                LONG.substring(0, 2_000) + "=x");

        assertThat(serverErrors(type, queries)).isEmpty();
    }

    /**
     * A value of 10,000 characters: in a POST search's body, and in the URL, which is longer than
     * Tomcat takes (ContainerErrorsIT checks how it says so).
     */
    @ParameterizedTest
    @ValueSource(strings = {"CarePlan", "CareTeam", "Patient", "Goal"})
    void aValueOfTenThousandCharactersIsNoServerError(String type) {
        Response posted = given().contentType("application/x-www-form-urlencoded")
                .accept(FHIR_JSON)
                .formParam("_id", LONG)
                .formParam("identifier", LONG)
                .when()
                .post("/" + type + "/_search");
        assertThat(posted.statusCode()).isLessThan(500);

        Response inUrl =
                given().accept(FHIR_JSON).urlEncodingEnabled(false).when().get("/" + type + "?_id=" + LONG);
        assertThat(inUrl.statusCode()).isLessThan(500);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "100000001", "2147483640", "1.5", "abc"})
    void anOffsetOutOfRangeIs400AndSaysTheRange(String offset) {
        for (String path :
                List.of("/Patient?_offset=", "/Patient/_history?_offset=", "/CarePlan?status=active&_offset=")) {
            Response response = fhir().urlEncodingEnabled(false).when().get(path + offset);

            response.then().statusCode(400);
            assertThat(diagnostics(response)).contains("_offset must be a whole number from 0 to 100000000");
        }
    }

    @Test
    void anOffsetInRangeStillPages() {
        Bundle page = parse(
                fhir().when()
                        .get("/CarePlan?_offset=1&_count=1")
                        .then()
                        .statusCode(200)
                        .extract()
                        .response(),
                Bundle.class);

        assertThat(page.getEntry()).hasSize(1);
    }

    /** PostgreSQL stores no NUL in a string: it failed with 500 there (H2 took it). */
    @ParameterizedTest
    @ValueSource(strings = {"\\u0000", "\\u0007", "\\u001f"})
    void aControlCharacterInAValueIs400AndNamesTheElement(String escaped) {
        String family = "Kontroll" + System.nanoTime();
        String patient =
                """
                {"resourceType": "Patient", "name": [{"family": "%s", "given": ["A%sB"]}]}"""
                        .formatted(family, escaped);

        Response created = fhir().body(patient).when().post("/Patient");
        Response inTransaction = fhir().body(
                        """
                        {"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": %s,
                         "request": {"method": "POST", "url": "Patient"}}]}"""
                                .formatted(patient))
                .when()
                .post("/");

        for (Response response : List.of(created, inTransaction)) {
            response.then().statusCode(400);
            assertThat(diagnostics(response)).contains("control character");
            assertThat(outcome(response)
                            .getIssueFirstRep()
                            .getExpression()
                            .get(0)
                            .getValue())
                    .isEqualTo("Patient.name.given");
        }
        assertThat(parse(fhir().when().get("/Patient?family=" + family), Bundle.class)
                        .getEntry())
                .isEmpty();
        fhir().body(patient.replace(escaped, "\\t"))
                .when()
                .post("/Patient")
                .then()
                .statusCode(201);
    }

    @Test
    void aControlCharacterInAQueryIs400() {
        Response response = fhir().urlEncodingEnabled(false).when().get("/Patient?name=%00");

        response.then().statusCode(400);
        assertThat(diagnostics(response)).contains("'%00', a control character");
    }

    @ParameterizedTest
    @ValueSource(strings = {"(", "", "name eq", "x", "name eq x"})
    void filterIs400WhateverItHolds(String filter) {
        Response response = fhir().queryParam("_filter", filter).when().get("/Patient");

        response.then().statusCode(400);
        assertThat(diagnostics(response)).contains("_filter is not supported");
    }

    /** The overdue work list's own walk (OverdueWorklistQuery), at the ends of the calendar. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "lt0000-01-01",
                "le0000-01-01",
                "lt0001-01-01",
                "le0001-01-01",
                "lt9999-12-31",
                "le9999-12-31",
            })
    void theOverdueWorkListAtTheEndsOfTheCalendar(String due) {
        for (String status : List.of("&status=active", "&status=", "&status=active,on-hold", "")) {
            fhir().urlEncodingEnabled(false)
                    .when()
                    .get("/CarePlan?next-step-due=" + due + "&_sort=next-step-due" + status)
                    .then()
                    .statusCode(200);
        }
    }

    /** Each query that got 5xx (or no FHIR answer at 4xx), with what the server said. */
    private static List<String> serverErrors(String type, List<String> queries) {
        List<String> errors = new ArrayList<>();
        for (String query : queries) {
            Response response = fhir().urlEncodingEnabled(false).when().get("/" + type + "?" + query);
            String contentType = response.contentType();
            if (response.statusCode() >= 500
                    || (response.statusCode() >= 400
                            && (contentType == null || !contentType.startsWith("application/fhir+json")))) {
                String body = response.asString();
                errors.add(response.statusCode() + " " + type + "?" + abbreviate(query) + ": " + abbreviate(body));
            }
        }
        return errors;
    }

    private static String abbreviate(String text) {
        return text.length() > 300 ? text.substring(0, 300) + "…" : text;
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static List<SearchParameter> shippedSearchParameters(FhirContext r4) {
        try (Stream<Path> files = Files.list(Path.of("..", "profiles"))) {
            return files.filter(file -> file.getFileName().toString().startsWith("SearchParameter-"))
                    .sorted()
                    .map(file -> r4.newJsonParser().parseResource(SearchParameter.class, read(file)))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
