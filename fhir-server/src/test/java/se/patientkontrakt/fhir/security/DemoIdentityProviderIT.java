package se.patientkontrakt.fhir.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.PractitionerRole;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Provenance.ProvenanceAgentComponent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.ActiveProfilesResolver;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.FhirIT;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * The demo ({@code scripts/demo.sh}, {@code docs/demo.md}): the server with the Spring profile
 * {@code demo} trusts mock-oauth2-server, here in-process on a random port with the demo's own
 * persona file, login page and static directory ({@code demo-idp/config/}), and each persona's
 * token, asked for at its token endpoint as a client would, reaches what docs/demo.md says and no
 * more. The personas are read from that file, so a persona changed there is checked here, and the
 * expectations name each persona, so a persona added, removed or given other scopes fails a test.
 * On H2 only, with a data directory of its own, as the demo itself runs.
 */
@ActiveProfiles(resolver = DemoIdentityProviderIT.WithDemoProfile.class)
@DisabledIfSystemProperty(
        named = "it.database",
        matches = ".*postgres.*",
        disabledReason = "the demo runs on H2; on PostgreSQL this context would share a database with"
                + " the other tests' context, as a second server node")
class DemoIdentityProviderIT extends FhirIT {

    private static final Path CONFIG = Path.of("../demo-idp/config");
    private static final Path DOCS = Path.of("../docs/demo.md");
    private static final String ISSUER_ID = "demo";
    private static final String PAGES = "patientkontrakt-sidor";
    private static final String ESTHER = "CarePlan/esther-andersson-patientkontrakt";
    private static final String GORAN = "CarePlan/goran-karlsson-patientkontrakt";
    private static final String MEASURE =
            "/Measure/pk-fast-vardkontakt-andel/$evaluate-measure?periodStart=2026-01-01&periodEnd=2026-12-31";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final MockOAuth2Server IDP = startIdentityProvider();

    /** As demo-idp's main builds it: the file's settings, with the demo's login page and static files. */
    private static MockOAuth2Server startIdentityProvider() {
        OAuth2Config file = OAuth2Config.Companion.fromJson(personaFile());
        MockOAuth2Server server = new MockOAuth2Server(new OAuth2Config(
                file.getInteractiveLogin(),
                CONFIG.resolve("login.html").toAbsolutePath().normalize().toString(),
                CONFIG.toAbsolutePath().normalize().toString(),
                file.getRotateRefreshToken(),
                file.getTokenProvider(),
                file.getTokenCallbacks(),
                file.getHttpServer()));
        server.start();
        return server;
    }

    @DynamicPropertySource
    static void trustTheIdentityProvider(DynamicPropertyRegistry registry) {
        registry.add("spring.security.oauth2.resourceserver.jwt.issuer-uri", () -> IDP.issuerUrl(ISSUER_ID)
                .toString());
        registry.add("patientkontrakt.data-dir", () -> "./target/it-data-demo");
    }

    @AfterAll
    static void stopIdentityProvider() {
        IDP.shutdown();
    }

    /** A persona: a person (logs in by name) or a system (by client id), with its claims. */
    record Persona(String name, boolean person, JsonNode claims) {

        Optional<String> claim(String name) {
            return Optional.ofNullable(claims.get(name)).map(JsonNode::asText);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Persona> personas() {
        try {
            return StreamSupport.stream(
                            JSON.readTree(personaFile()).path("tokenCallbacks").spliterator(), false)
                    .flatMap(callback -> StreamSupport.stream(
                            callback.path("requestMappings").spliterator(), false))
                    .filter(mapping -> List.of("username", "client_id")
                            .contains(mapping.path("requestParam").asText()))
                    .map(mapping -> new Persona(
                            mapping.path("match").asText(),
                            mapping.path("requestParam").asText().equals("username"),
                            mapping.path("claims")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Stream<Persona> careWithACommission() {
        return personas().filter(persona -> persona.claim("healthCareUnitHsaId").isPresent());
    }

    static Stream<Persona> carePeople() {
        return careWithACommission().filter(Persona::person);
    }

    @Test
    void theDemoHasThePersonasItDocuments() throws IOException {
        assertThat(personas().map(Persona::name))
                .containsExactly(
                        "goran-karlsson",
                        "maria-lind",
                        "fatima-hassan",
                        "erik-holm",
                        "region-follow-up",
                        "cosmic-ehr-vcny");
        String docs = Files.readString(DOCS);
        personas().forEach(persona -> {
            assertThat(docs).as("docs/demo.md names %s", persona).contains("`" + persona.name() + "`");
            String scopes = persona.claim("scope").orElseThrow().replace("openid fhirUser ", "");
            assertThat(docs).as("docs/demo.md gives %s's scopes", persona).contains("`" + scopes + "`");
            persona.claim("healthCareUnitHsaId").ifPresent(unit -> assertThat(docs)
                    .as("docs/demo.md names %s's unit", persona)
                    .contains(unit));
        });
    }

    /** Each care person's claims are the examples' PractitionerRole: its practitioner, unit and care giver. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("carePeople")
    void everyCarePersonIsTheirRoleInTheExamples(Persona persona) {
        String ehr = tokenFor(persona("cosmic-ehr-vcny"));
        PractitionerRole role = read(ehr, persona.claim("fhirUser").orElseThrow(), PractitionerRole.class);
        Practitioner practitioner = read(ehr, role.getPractitioner().getReference(), Practitioner.class);
        Organization unit = read(ehr, role.getOrganization().getReference(), Organization.class);
        Organization careGiver = read(ehr, unit.getPartOf().getReference(), Organization.class);

        assertThat(practitioner.getIdentifierFirstRep().getValue())
                .isEqualTo(persona.claim("employeeHsaId").get());
        assertThat(unit.getIdentifierFirstRep().getValue())
                .isEqualTo(persona.claim("healthCareUnitHsaId").get());
        assertThat(careGiver.getIdentifierFirstRep().getValue())
                .isEqualTo(persona.claim("healthCareProviderHsaId").get());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("personas")
    void everyPersonasTokenIsAccepted(Persona persona) {
        as(tokenFor(persona)).when().get("/CarePlan?_count=1").then().statusCode(200);
    }

    /**
     * Göran is 404 outside his own data; Maria owns it (Vårdcentralen Nybro); Fatima's unit (Nybro
     * kommun) takes part and Esther consented to it (samtycke); Erik's unit takes no part in
     * Esther's care (Patientdatalagen, {@code CareView}); the region's follow-up reads region-wide.
     */
    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
        "goran-karlsson, 404",
        "maria-lind, 200",
        "fatima-hassan, 200",
        "erik-holm, 404",
        "region-follow-up, 200",
        "cosmic-ehr-vcny, 200"
    })
    void whoReadsEsthersContract(String name, int status) {
        as(tokenFor(persona(name))).when().get("/" + ESTHER).then().statusCode(status);
    }

    /**
     * Erik Holm (Ortopedkliniken) is Göran's fast vårdkontakt and not in Esther's contact team: he
     * reads Göran's contract, not Esther's, until he declares a care relationship for the request.
     */
    @Test
    void aCareRelationshipIsNeededAndMayBeDeclared() {
        String erik = tokenFor(persona("erik-holm"));
        String role = persona("erik-holm").claim("fhirUser").orElseThrow();
        CareTeam goransTeam = read(erik, "CareTeam/goran-karlsson-kontaktteam", CareTeam.class);
        assertThat(goransTeam.getParticipant())
                .anyMatch(p -> p.getMember().getReference().equals(role));

        as(erik).when().get("/CareTeam/esther-andersson-kontaktteam").then().statusCode(404);
        as(erik).when().get("/" + ESTHER).then().statusCode(404);
        CareTeam esthersTeam = parse(
                as(erik).header(PdlDeclaration.CARE_RELATIONSHIP_HEADER, "Esther är inlagd för en höftfraktur")
                        .when()
                        .get("/CareTeam/esther-andersson-kontaktteam")
                        .then()
                        .statusCode(200)
                        .extract()
                        .response(),
                CareTeam.class);
        assertThat(esthersTeam.getParticipant())
                .noneMatch(p -> p.getMember().getReference().equals(role));
    }

    /** The README's table "Who sees what", row by row. */
    @ParameterizedTest(name = "{0} {1} reads {2}: {3}")
    @CsvSource({
        "maria-lind, , CarePlan/esther-andersson-patientkontrakt, 200",
        "maria-lind, , CarePlan/goran-karlsson-patientkontrakt, 404",
        "maria-lind, PDL-Care-Relationship, CarePlan/goran-karlsson-patientkontrakt, 200",
        "fatima-hassan, , CarePlan/esther-andersson-patientkontrakt, 200",
        "fatima-hassan, , CarePlan/goran-karlsson-patientkontrakt, 404",
        "erik-holm, , CarePlan/esther-andersson-patientkontrakt, 404",
        "cosmic-ehr-vcny, , CarePlan/goran-karlsson-patientkontrakt, 200",
        "region-follow-up, , CarePlan/sara-lindqvist-patientkontrakt, 200"
    })
    void whoSeesWhat(String name, String header, String path, int status) {
        RequestSpecification request = as(tokenFor(persona(name)));
        if (header != null) {
            request.header(header, "Patienten söker för nya besvär idag");
        }
        request.when().get("/" + path).then().statusCode(status);
    }

    /** The README's row: Fatima reads Esther's contract, which Region Kalmar owns, but does not change it. */
    @Test
    void anotherCareGiversContractReadsButDoesNotChange() {
        String fatima = tokenFor(persona("fatima-hassan"));
        String before = as(fatima)
                .when()
                .get("/" + ESTHER)
                .then()
                .statusCode(200)
                .extract()
                .header("ETag");
        as(fatima)
                .contentType("application/json-patch+json")
                .body("[{\"op\":\"replace\",\"path\":\"/title\",\"value\":\"Esthers kontrakt\"}]")
                .when()
                .patch("/" + ESTHER)
                .then()
                .statusCode(403);
        assertThat(as(fatima).when().get("/" + ESTHER).header("ETag")).isEqualTo(before);
    }

    @Test
    void aSpärrHoldsEvenInAnEmergencyAndTheAnswerSaysSo() {
        Bundle saras = parse(
                as(tokenFor(persona("erik-holm")))
                        .header(PdlDeclaration.EMERGENCY_ACCESS_HEADER, "Sara är medvetslös på akuten")
                        .when()
                        .get("/CarePlan?subject=Patient/sara-lindqvist")
                        .then()
                        .statusCode(200)
                        .extract()
                        .response(),
                Bundle.class);
        assertThat(ids(saras, Bundle.SearchEntryMode.MATCH)).isEmpty();
        assertThat(saras.getEntry())
                .filteredOn(e -> e.getSearch().getMode() == Bundle.SearchEntryMode.OUTCOME)
                .extracting(e ->
                        ((OperationOutcome) e.getResource()).getIssueFirstRep().getDiagnostics())
                .singleElement()
                .asString()
                .startsWith("Spärrad information finns");
    }

    @Test
    void goranReadsOnlyHisOwnContractAndChangesNothingCareWrote() {
        String goran = tokenFor(persona("goran-karlsson"));

        Bundle contracts = search(goran, "/CarePlan");
        assertThat(contracts.getEntry())
                .isNotEmpty()
                .extracting(e -> ((CarePlan) e.getResource()).getSubject().getReference())
                .containsOnly("Patient/goran-karlsson");
        as(goran).when().get("/Patient/goran-karlsson/$patientkontrakt").then().statusCode(200);
        as(goran)
                .contentType("application/json-patch+json")
                .body("[{\"op\":\"replace\",\"path\":\"/title\",\"value\":\"Mitt eget\"}]")
                .when()
                .patch("/" + GORAN)
                .then()
                .statusCode(403);
    }

    /** A new contract: who may write one, and that it is owned by the writer's commission. */
    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
        "goran-karlsson, 403",
        "maria-lind, 200",
        "fatima-hassan, 403",
        "erik-holm, 200",
        "region-follow-up, 403",
        "cosmic-ehr-vcny, 200"
    })
    void whoCreatesAContract(String name, int status) {
        Persona persona = persona(name);
        ContractFixture contract = ContractFixture.create(fhirContext);

        as(tokenFor(persona))
                .body(json(contract.transaction()))
                .when()
                .post("/")
                .then()
                .statusCode(status);

        String ehr = tokenFor(persona("cosmic-ehr-vcny"));
        if (status != 200) {
            as(ehr).when().get("/" + contract.contractId()).then().statusCode(404);
            return;
        }
        CarePlan created = read(ehr, contract.contractId(), CarePlan.class);
        assertThat(created.getMeta().getSecurity())
                .extracting(Coding::getSystem, Coding::getCode)
                .contains(
                        tuple(
                                Vocabulary.OWNER_CARE_UNIT,
                                persona.claim("healthCareUnitHsaId").orElseThrow()),
                        tuple(
                                Vocabulary.OWNER_CARE_GIVER,
                                persona.claim("healthCareProviderHsaId").orElseThrow()));
    }

    /**
     * A change to a contract an EHR of Region Kalmar wrote, by each commission of Region Kalmar (a
     * person declaring a care relationship): the Provenance names it.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("careOfRegionKalmar")
    void aChangeUnderACarePersonasCommissionLeavesAProvenanceNamingIt(Persona persona) {
        ContractFixture contract = storedContract();

        RequestSpecification request = as(tokenFor(persona));
        if (persona.person()) {
            request.header(PdlDeclaration.CARE_RELATIONSHIP_HEADER, "Kontraktet ska uppdateras efter besöket");
        }
        request.contentType("application/json-patch+json")
                .body("[{\"op\":\"replace\",\"path\":\"/title\",\"value\":\"Ändrat av " + persona.name() + "\"}]")
                .when()
                .patch("/" + contract.contractId())
                .then()
                .statusCode(200);

        Provenance change = provenancesOf(contract.contractId()).stream()
                .filter(p -> p.getActivity().getCodingFirstRep().getCode().equals("patch"))
                .findFirst()
                .orElseThrow();
        assertThat(agent(change, "author").getWho().getIdentifier().getValue())
                .isEqualTo(persona.claim("healthCareUnitHsaId").get());
        assertThat(agent(change, "enterer").getWho().getIdentifier().getValue())
                .isEqualTo(persona.person() ? persona.claim("employeeHsaId").get() : persona.name());
        if (persona.person()) {
            assertThat(change.getReasonFirstRep().getText())
                    .isEqualTo(persona.claim("commissionPurpose").get());
        }
    }

    static Stream<Persona> careOfRegionKalmar() {
        return careWithACommission().filter(persona -> persona.claim("healthCareProviderHsaId")
                .equals(Optional.of(TestTokens.REGION_KALMAR)));
    }

    @Test
    void theRegionsFollowUpReadsEveryUnitsContractsAndChangesNone() {
        String followUp = tokenFor(persona("region-follow-up"));
        ContractFixture contract = storedContract();

        assertThat(search(followUp, "/CarePlan?_id=esther-andersson-patientkontrakt,goran-karlsson-patientkontrakt")
                        .getEntry())
                .hasSize(2);
        as(followUp).when().get(MEASURE).then().statusCode(200);
        as(followUp)
                .contentType("application/json-patch+json")
                .body("[{\"op\":\"replace\",\"path\":\"/title\",\"value\":\"Uppföljning\"}]")
                .when()
                .patch("/" + contract.contractId())
                .then()
                .statusCode(403);
    }

    /** Follow-up measures count every contract: care and the region's follow-up may, a patient never. */
    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({"goran-karlsson, 403", "maria-lind, 200", "region-follow-up, 200"})
    void whoRunsAFollowUpMeasure(String name, int status) {
        as(tokenFor(persona(name))).when().get(MEASURE).then().statusCode(status);
    }

    @Test
    void thePagesLogInOnTheDemosLoginPageWithACodeAndPkce() throws Exception {
        Map<String, Object> smart = fhir().when()
                .get("/.well-known/smart-configuration")
                .then()
                .statusCode(200)
                .extract()
                .jsonPath()
                .getMap("");
        assertThat(smart)
                .containsEntry(
                        "authorization_endpoint",
                        IDP.authorizationEndpointUrl(ISSUER_ID).toString())
                .containsEntry("token_endpoint", IDP.tokenEndpointUrl(ISSUER_ID).toString());
        ObjectNode claims = persona("maria-lind").claims().deepCopy();
        claims.put("azp", PAGES); // as login.html fills in ${client_id}

        String token = logIn((String) smart.get("authorization_endpoint"), "maria-lind", claims.toString());

        JsonNode accessToken = claimsOf(token);
        assertThat(accessToken.path("iss").asText())
                .isEqualTo(IDP.issuerUrl(ISSUER_ID).toString());
        assertThat(accessToken.path("sub").asText()).isEqualTo("hsa-SE2321000073-P4ML");
        assertThat(accessToken.path("azp").asText()).isEqualTo(PAGES);
        assertThat(accessToken.path("aud").toString()).contains("patientkontrakt-fhir");
        as(token).when().get("/CarePlan?_count=1").then().statusCode(200);
    }

    @Test
    void theLoginPageReadsThePersonasFromThePersonaFile() throws Exception {
        HttpResponse<String> personas = HTTP.send(
                HttpRequest.newBuilder(
                                URI.create(IDP.url("/static/personas.json").toString()))
                        .build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(personas.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(personas.body())).isEqualTo(JSON.readTree(personaFile()));
    }

    /**
     * What someone logging in with claims of their own on the login page ("Någon annan") gets when
     * the claims are not a commission or a patient as the server checks them ({@link TokenClaims}):
     * {@code 401} with the reason.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            value = {
                "a person without a commission | {\"scope\": \"openid fhirUser user/*.read\"}"
                        + " | a care token acts under a commission",
                "a person whose commission has no purpose | {\"scope\": \"openid user/*.read\","
                        + " \"employeeHsaId\": \"SE2321000073-P4ML\", \"healthCareUnitHsaId\": \"SE2321000073-VCNY01\","
                        + " \"healthCareProviderHsaId\": \"SE2321000073\"} | no purpose of its commission",
                "a unit that is not an HSA-id | {\"scope\": \"openid user/*.read\","
                        + " \"employeeHsaId\": \"SE2321000073-P4ML\", \"healthCareUnitHsaId\": \"VCNY01\","
                        + " \"healthCareProviderHsaId\": \"SE2321000073\", \"commissionPurpose\": \"Vård och behandling\"}"
                        + " | is not one HSA-id",
                "a system that is not region-wide, without a commission | {\"scope\": \"system/*.read\"}"
                        + " | names no care unit",
                "a patient with a commission | {\"scope\": \"openid patient/*.read\", \"patient\": \"goran-karlsson\","
                        + " \"healthCareUnitHsaId\": \"SE2321000073-VCNY01\", \"healthCareProviderHsaId\": \"SE2321000073\"}"
                        + " | either a patient's or care's",
                "a patient the server does not hold | {\"scope\": \"openid patient/*.read\", \"patient\": \"nobody\"}"
                        + " | not a patient of this server"
            })
    void tokensTheServerRefuses(String what, String claims, String reason) throws Exception {
        String token = logIn(IDP.authorizationEndpointUrl(ISSUER_ID).toString(), "someone", claims);

        Response refused = as(token).when().get("/CarePlan");

        refused.then().statusCode(401);
        assertThat(diagnostics(refused)).contains(reason);
    }

    /** A client id that is no persona gets a token, but not for this server's audience. */
    @Test
    void aClientTheDemoDoesNotKnowIsRefused() {
        String token = accessToken(
                Map.of("grant_type", "client_credentials", "client_id", "some-other-system", "client_secret", "demo"));

        Response refused = as(token).when().get("/CarePlan");

        refused.then().statusCode(401);
        assertThat(diagnostics(refused)).contains("The aud claim is not valid");
    }

    /** A code is worth a token only with the PKCE verifier of the login that got it. */
    @Test
    void aCodeWithoutItsPkceVerifierBuysNoToken() throws Exception {
        Login login = authorize(
                IDP.authorizationEndpointUrl(ISSUER_ID).toString(),
                "goran-karlsson",
                persona("goran-karlsson").claims().toString());

        assertThat(login.exchange("not-the-verifier-" + login.verifier()).statusCode())
                .isEqualTo(400);
    }

    /** A token from the token endpoint: a person's by the password grant, a system's by client credentials. */
    private static String tokenFor(Persona persona) {
        Map<String, String> form = new LinkedHashMap<>();
        if (persona.person()) {
            form.put("grant_type", "password");
            form.put("username", persona.name());
            form.put("password", "demo");
            form.put("client_id", "postman");
        } else {
            form.put("grant_type", "client_credentials");
            form.put("client_id", persona.name());
            form.put("client_secret", "demo");
        }
        return accessToken(form);
    }

    /** A login on the login page: the code it was answered with, for the PKCE verifier and redirect. */
    private record Login(String code, String verifier, String redirect) {

        HttpResponse<String> exchange(String verifier) {
            return tokenResponse(Map.of(
                    "grant_type", "authorization_code",
                    "code", code,
                    "redirect_uri", redirect,
                    "client_id", PAGES,
                    "code_verifier", verifier));
        }
    }

    /** The pages' way to a token: log in on the login page, then exchange the code with its PKCE verifier. */
    private static String logIn(String authorizationEndpoint, String username, String claims) throws Exception {
        Login login = authorize(authorizationEndpoint, username, claims);
        return accessToken(login.exchange(login.verifier()));
    }

    /**
     * The login page posts who logs in and their claims back to the authorization endpoint (as
     * login.html does), which redirects back to the page with a code.
     */
    private static Login authorize(String authorizationEndpoint, String username, String claims) throws Exception {
        String verifier = UUID.randomUUID() + "-" + UUID.randomUUID();
        String challenge = Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(sha256(verifier.getBytes(StandardCharsets.US_ASCII)));
        String redirect = "http://localhost/mitt-patientkontrakt/";
        URI authorize = URI.create(authorizationEndpoint + "?"
                + form(Map.of(
                        "response_type", "code",
                        "client_id", PAGES,
                        "redirect_uri", redirect,
                        "scope", "openid fhirUser",
                        "state", "s1",
                        "code_challenge", challenge,
                        "code_challenge_method", "S256")));

        HttpResponse<String> loginPage =
                HTTP.send(HttpRequest.newBuilder(authorize).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(loginPage.statusCode()).isEqualTo(200);
        assertThat(loginPage.body()).contains("Logga in i demot", "/static/personas.json");
        HttpResponse<String> loggedIn = HTTP.send(
                HttpRequest.newBuilder(authorize)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form(Map.of("username", username, "claims", claims))))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(loggedIn.statusCode()).isEqualTo(302);
        String location = loggedIn.headers().firstValue("Location").orElseThrow();
        assertThat(location).startsWith(redirect).contains("state=s1");
        return new Login(location.replaceAll(".*[?&]code=([^&]+).*", "$1"), verifier, redirect);
    }

    private static String accessToken(Map<String, String> form) {
        return accessToken(tokenResponse(form));
    }

    private static String accessToken(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        try {
            return JSON.readTree(response.body()).path("access_token").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static HttpResponse<String> tokenResponse(Map<String, String> form) {
        try {
            return HTTP.send(
                    HttpRequest.newBuilder(
                                    URI.create(IDP.tokenEndpointUrl(ISSUER_ID).toString()))
                            .header("Content-Type", "application/x-www-form-urlencoded")
                            .POST(HttpRequest.BodyPublishers.ofString(form(form)))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A fresh contract, written by Vårdcentralen Nybro's EHR (and so owned by that unit). */
    private ContractFixture storedContract() {
        ContractFixture contract = ContractFixture.create(fhirContext);
        as(tokenFor(persona("cosmic-ehr-vcny")))
                .body(json(contract.transaction()))
                .when()
                .post("/")
                .then()
                .statusCode(200);
        return contract;
    }

    private List<Provenance> provenancesOf(String target) {
        return search(tokenFor(persona("cosmic-ehr-vcny")), "/Provenance?target=" + target + "&_count=100")
                .getEntry()
                .stream()
                .map(e -> (Provenance) e.getResource())
                .toList();
    }

    private static ProvenanceAgentComponent agent(Provenance provenance, String type) {
        return provenance.getAgent().stream()
                .filter(a -> a.getType().getCodingFirstRep().getCode().equals(type))
                .filter(a -> a.getWho().hasIdentifier())
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + type + " agent with an identifier"));
    }

    private static Persona persona(String name) {
        return personas().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }

    private static JsonNode claimsOf(String jwt) throws IOException {
        return JSON.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]));
    }

    private static String form(Map<String, String> fields) {
        return fields.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    private static byte[] sha256(byte[] data) throws NoSuchAlgorithmException {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    private static String personaFile() {
        try {
            return Files.readString(CONFIG.resolve("personas.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The integration tests' profiles, then {@code demo}, whose settings are what this test is about. */
    static class WithDemoProfile implements ActiveProfilesResolver {
        @Override
        public String[] resolve(Class<?> testClass) {
            return Stream.concat(Stream.of(Profiles.profiles()), Stream.of("demo"))
                    .toArray(String[]::new);
        }
    }
}
