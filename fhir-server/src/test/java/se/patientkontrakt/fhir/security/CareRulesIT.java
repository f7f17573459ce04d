package se.patientkontrakt.fhir.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.BundleEntryComponent;
import org.hl7.fhir.r4.model.Bundle.SearchEntryMode;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.Goal;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Subscription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.ActiveProfiles;
import se.patientkontrakt.fhir.ConsentFixture;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.FhirIT;
import se.patientkontrakt.fhir.contract.SwedishIdentifiers;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * The read rules of Patientdatalagen over their whole matrix: seven care readers (the owning unit,
 * a unit of the same care giver that takes part, one that does not, the same with a declared care
 * relationship, another care giver without consent, one with consent, and emergency access) ×
 * three patients (no spärr, an inre spärr, a yttre spärr) × every read path (search, count, read,
 * include, reverse include, history, batch, paging, work list), each asserting exactly what the
 * reader sees and that a spärr says "spärrad information finns". What is expected is written out
 * per reader below, not computed by the server's own rule.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ActiveProfiles(resolver = FhirIT.Profiles.class)
class CareRulesIT extends SecuredFhirIT {

    @Autowired
    private WeighedPatients weighedPatients;

    @Autowired
    private DirectoryHsaIds directoryHsaIds;

    static final String KALMAR = "SE2321000073";
    static final String GAVLEBORG = "SE2321000180";
    static final String NYBRO_KOMMUN = "SE2120009999";
    static final String VCNY = KALMAR + "-VCNY01";
    static final String VCOS = KALMAR + "-VCOS01";
    static final String ORTO = KALMAR + "-ORTO01";
    static final String AKUT = KALMAR + "-AKUT01";
    static final String GAVLE_AKUT = GAVLEBORG + "-AKUT02";
    static final String HEMTJANST = NYBRO_KOMMUN + "-HTNY01";

    /** The pieces of a patient's data, by who owns them. */
    enum Piece {
        /** The contract, its team and goals, owned by Vårdcentralen Nybro (Region Kalmar). */
        VARDCENTRAL,
        /** A goal owned by Ortopedkliniken (Region Kalmar); the inre spärr's too. */
        ORTOPED,
        /** A goal and the samtycke owned by hemtjänsten (Nybro kommun); the yttre spärr's too. */
        KOMMUN
    }

    enum Spärr {
        NONE,
        /** Ortopedkliniken's information is blocked from the rest of Region Kalmar (and so from all). */
        INRE,
        /** Nybro kommun's information is blocked from every other care giver. */
        YTTRE
    }

    /** A care reader, and what they see of a patient with no spärr. */
    enum Reader {
        OWNING_UNIT(KALMAR, VCNY, null, EnumSet.of(Piece.VARDCENTRAL, Piece.ORTOPED)),
        UNIT_TAKING_PART(KALMAR, VCOS, null, EnumSet.of(Piece.VARDCENTRAL, Piece.ORTOPED)),
        UNIT_WITHOUT_RELATIONSHIP(KALMAR, AKUT, null, EnumSet.noneOf(Piece.class)),
        DECLARED_RELATIONSHIP(
                KALMAR, AKUT, PdlDeclaration.CARE_RELATIONSHIP_HEADER, EnumSet.of(Piece.VARDCENTRAL, Piece.ORTOPED)),
        OTHER_CARE_GIVER_WITHOUT_CONSENT(
                GAVLEBORG, GAVLE_AKUT, PdlDeclaration.CARE_RELATIONSHIP_HEADER, EnumSet.noneOf(Piece.class)),
        OTHER_CARE_GIVER_WITH_CONSENT(NYBRO_KOMMUN, HEMTJANST, null, EnumSet.allOf(Piece.class)),
        EMERGENCY_ACCESS(GAVLEBORG, GAVLE_AKUT, PdlDeclaration.EMERGENCY_ACCESS_HEADER, EnumSet.allOf(Piece.class));

        final String careGiver;
        final String unit;
        final String header;
        final Set<Piece> withoutSpärr;

        Reader(String careGiver, String unit, String header, Set<Piece> withoutSpärr) {
            this.careGiver = careGiver;
            this.unit = unit;
            this.header = header;
            this.withoutSpärr = withoutSpärr;
        }

        /** What this reader sees, and whether something they would see without it is blocked. */
        Set<Piece> sees(Spärr spärr) {
            Set<Piece> seen = withoutSpärr.isEmpty() ? EnumSet.noneOf(Piece.class) : EnumSet.copyOf(withoutSpärr);
            if (spärr == Spärr.INRE && !unit.equals(ORTO)) {
                seen.remove(Piece.ORTOPED);
            }
            if (spärr == Spärr.YTTRE && !careGiver.equals(NYBRO_KOMMUN)) {
                seen.remove(Piece.KOMMUN);
            }
            return seen;
        }

        /** Whether a spärr hides something of the patient from this reader (the answer says so). */
        boolean blocked(Spärr spärr) {
            return (spärr == Spärr.INRE && !unit.equals(ORTO))
                    || (spärr == Spärr.YTTRE && !careGiver.equals(NYBRO_KOMMUN));
        }

        String token() {
            String employee = careGiver + "-E" + ordinal();
            return TestTokens.token(c -> c.subject("hsa-" + employee)
                    .claim("employeeHsaId", employee)
                    .claim("healthCareUnitHsaId", unit)
                    .claim("healthCareProviderHsaId", careGiver)
                    .claim("commissionPurpose", "Vård och behandling")
                    .claim("scope", "openid user/*.cruds"));
        }

        RequestSpecification request() {
            RequestSpecification request = as(token());
            return header == null ? request : request.header(header, "Patienten är inskriven på akuten idag");
        }
    }

    /** One patient's data, piece by piece. */
    record World(String patient, Map<String, Piece> owned, String orthopaedicGoal) {

        /** The first piece of this type, whoever owns it (the contract, the team). */
        String first(String type) {
            return owned.keySet().stream()
                    .filter(id -> id.startsWith(type + "/"))
                    .findFirst()
                    .orElseThrow();
        }

        String vardcentralGoal() {
            return owned.keySet().stream()
                    .filter(id -> id.startsWith("Goal/") && owned.get(id) == Piece.VARDCENTRAL)
                    .findFirst()
                    .orElseThrow();
        }

        Set<String> seenBy(Reader reader, Spärr spärr) {
            Set<Piece> pieces = reader.sees(spärr);
            Set<String> ids = new HashSet<>();
            owned.forEach((id, piece) -> {
                if (pieces.contains(piece)) {
                    ids.add(id);
                }
            });
            return ids;
        }

        Set<String> ofType(Set<String> ids, String type) {
            return ids.stream().filter(id -> id.startsWith(type + "/")).collect(java.util.stream.Collectors.toSet());
        }
    }

    private static final Map<Spärr, World> WORLDS = new LinkedHashMap<>();

    static Stream<Arguments> matrix() {
        return Stream.of(Spärr.values())
                .flatMap(spärr -> Stream.of(Reader.values()).map(reader -> Arguments.of(spärr, reader)));
    }

    @ParameterizedTest(name = "{0} spärr, {1}")
    @MethodSource("matrix")
    void eachReaderSeesExactlyWhatTheLawAllowsOnEveryPath(Spärr spärr, Reader reader) {
        World world = world(spärr);
        Set<String> expected = world.seenBy(reader, spärr);

        for (String type : List.of("CarePlan", "CareTeam", "Goal", "Consent")) {
            String parameter = type.equals("Consent") ? "patient" : "subject";
            Bundle found = search(reader, "/" + type + "?" + parameter + "=" + world.patient() + "&_count=100");
            assertThat(Set.copyOf(ids(found, SearchEntryMode.MATCH)))
                    .as("%s search as %s", type, reader)
                    .isEqualTo(world.ofType(expected, type));
            assertThat(blockedSaid(found))
                    .as("spärrad information finns, %s", type)
                    .isEqualTo(reader.blocked(spärr));
            Bundle count = search(reader, "/" + type + "?_summary=count&" + parameter + "=" + world.patient());
            assertThat(count.getTotal())
                    .as("%s count", type)
                    .isEqualTo(world.ofType(expected, type).size());
        }

        // The same searches naming the patient by personnummer through a chain: about one patient,
        // so exactly as exact, with the total counting only what reads.
        String personnummer = parse(
                        reader.request().when().get("/" + world.patient()), org.hl7.fhir.r4.model.Patient.class)
                .getIdentifier()
                .stream()
                .filter(identifier -> SwedishIdentifiers.PERSONNUMMER.equals(identifier.getSystem()))
                .findFirst()
                .orElseThrow()
                .getValue();
        for (String type : List.of("CarePlan", "CareTeam", "Goal", "Consent")) {
            String chain = (type.equals("Consent") ? "patient" : "subject:Patient") + ".identifier="
                    + SwedishIdentifiers.PERSONNUMMER + "|" + personnummer;
            Bundle found = search(reader, "/" + type + "?" + chain + "&_count=100");
            assertThat(Set.copyOf(ids(found, SearchEntryMode.MATCH)))
                    .as("%s search by personnummer as %s", type, reader)
                    .isEqualTo(world.ofType(expected, type));
            assertThat(found.getTotal())
                    .as("%s total by personnummer", type)
                    .isEqualTo(world.ofType(expected, type).size());
            assertThat(blockedSaid(found))
                    .as("spärrad information finns, %s by personnummer", type)
                    .isEqualTo(reader.blocked(spärr));
            Bundle count = search(reader, "/" + type + "?_summary=count&" + chain);
            assertThat(count.getTotal())
                    .as("%s count by personnummer", type)
                    .isEqualTo(world.ofType(expected, type).size());
        }

        for (String id : world.owned().keySet()) {
            Response read = reader.request().when().get("/" + id);
            assertThat(read.statusCode()).as("read %s", id).isEqualTo(expected.contains(id) ? 200 : 404);
            Response history = reader.request().when().get("/" + id + "/_history");
            assertThat(history.statusCode()).as("history of %s", id).isEqualTo(expected.contains(id) ? 200 : 404);
        }

        Bundle included = search(
                reader, "/CarePlan?subject=" + world.patient() + "&_include=CarePlan:goal&_include=CarePlan:care-team");
        Set<String> includable = new HashSet<>(world.ofType(expected, "Goal"));
        includable.addAll(world.ofType(expected, "CareTeam"));
        assertThat(includable).containsAll(ids(included, SearchEntryMode.INCLUDE));
        if (!world.ofType(expected, "CarePlan").isEmpty()) {
            assertThat(ids(included, SearchEntryMode.INCLUDE)).isNotEmpty();
        }

        Bundle reverse = search(
                reader,
                "/Patient?_id=" + world.patient().replace("Patient/", "")
                        + "&_revinclude=Goal:subject&_revinclude=Consent:patient");
        Set<String> revincludable = new HashSet<>(world.ofType(expected, "Goal"));
        revincludable.addAll(world.ofType(expected, "Consent"));
        assertThat(Set.copyOf(ids(reverse, SearchEntryMode.INCLUDE))).isEqualTo(revincludable);

        Bundle portal = search(reader, "/" + world.patient() + "/$patientkontrakt");
        Set<String> shown = new HashSet<>(ids(portal, SearchEntryMode.MATCH));
        shown.addAll(ids(portal, SearchEntryMode.INCLUDE));
        shown.retainAll(world.owned().keySet());
        assertThat(expected).as("the portal view as %s", reader).containsAll(shown);
        assertThat(ids(portal, SearchEntryMode.MATCH))
                .containsExactlyInAnyOrderElementsOf(world.ofType(expected, "CarePlan"));

        Bundle national = search(reader, "/" + world.patient() + "/$getcareplans");
        assertThat(Set.copyOf(ids(national, SearchEntryMode.MATCH)))
                .as("the national view as %s", reader)
                .isEqualTo(world.ofType(expected, "CarePlan"));
        for (String plan : world.ofType(world.owned().keySet(), "CarePlan")) {
            Response document = reader.request().when().get("/" + plan + "/$document");
            if (!expected.contains(plan)) {
                assertThat(document.statusCode()).as("$document of %s", plan).isEqualTo(404);
            } else if (document.statusCode() == 200) {
                Set<String> inside = new HashSet<>();
                parse(document, Bundle.class)
                        .getEntry()
                        .forEach(entry -> inside.add(entry.getResource().fhirType() + "/"
                                + entry.getResource().getIdElement().getIdPart()));
                inside.retainAll(world.owned().keySet());
                assertThat(expected).as("$document of %s as %s", plan, reader).containsAll(inside);
            } else {
                assertThat(document.statusCode()).as("$document of %s", plan).isEqualTo(400);
            }
        }

        Bundle changes = search(reader, "/CarePlan?subject=" + world.patient() + "&_revinclude=Provenance:target");
        assertThat(Set.copyOf(ids(changes, SearchEntryMode.MATCH))).isEqualTo(world.ofType(expected, "CarePlan"));

        Set<String> paged = new HashSet<>();
        Bundle page = search(reader, "/Goal?subject=" + world.patient() + "&_count=1");
        while (true) {
            paged.addAll(ids(page, SearchEntryMode.MATCH));
            if (page.getLink("next") == null) {
                break;
            }
            page = search(reader, page.getLink("next").getUrl());
        }
        assertThat(paged).as("paged").isEqualTo(world.ofType(expected, "Goal"));

        Bundle batch = new Bundle().setType(Bundle.BundleType.BATCH);
        batch.addEntry().getRequest().setMethod(Bundle.HTTPVerb.GET).setUrl("Goal?subject=" + world.patient());
        world.owned().keySet().forEach(id -> batch.addEntry()
                .getRequest()
                .setMethod(Bundle.HTTPVerb.GET)
                .setUrl(id));
        Bundle answers = ok(reader.request().body(json(batch)).when().post("/"));
        Bundle goals = (Bundle) answers.getEntry().get(0).getResource();
        assertThat(Set.copyOf(ids(goals, SearchEntryMode.MATCH))).isEqualTo(world.ofType(expected, "Goal"));
        List<String> owned = new ArrayList<>(world.owned().keySet());
        for (int i = 0; i < owned.size(); i++) {
            BundleEntryComponent answer = answers.getEntry().get(i + 1);
            assertThat(answer.getResponse().getStatus())
                    .as("batch read of %s", owned.get(i))
                    .startsWith(expected.contains(owned.get(i)) ? "200" : "404");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("readers")
    void aWorkListAcrossPatientsHoldsWhatTheReaderMayReadOfTheirOwnCareGiver(Reader reader) {
        Set<String> all = new HashSet<>();
        Set<String> readable = new HashSet<>();
        Set<String> ownUnit = new HashSet<>();
        for (Spärr spärr : Spärr.values()) {
            World world = world(spärr);
            all.addAll(world.owned().keySet());
            world.owned().forEach((id, piece) -> {
                if (world.seenBy(reader, spärr).contains(id)
                        && careGiverOf(piece).equals(reader.careGiver)) {
                    readable.add(id);
                }
                if (unitOf(piece).equals(reader.unit)) {
                    ownUnit.add(id);
                }
            });
        }
        String ownLabel = "_security=" + Vocabulary.OWNER_CARE_UNIT + "|" + reader.unit;
        for (String type : List.of("CarePlan", "CareTeam", "Goal", "Consent")) {
            Bundle found = search(reader, "/" + type + "?_count=1000&_sort=-_lastUpdated");
            Set<String> listed = new HashSet<>(ids(found, SearchEntryMode.MATCH));
            listed.retainAll(all);
            assertThat(listed)
                    .as("%s work list of %s", type, reader)
                    .isEqualTo(world(Spärr.NONE).ofType(readable, type));
            assertThat(found.hasTotal())
                    .as("a total counted before the matches were weighed")
                    .isFalse();
            Bundle batch = new Bundle().setType(Bundle.BundleType.BATCH);
            batch.addEntry().getRequest().setMethod(Bundle.HTTPVerb.GET).setUrl(type + "?_count=1000&_total=accurate");
            Bundle inBatch =
                    (Bundle) ok(reader.request().body(json(batch)).when().post("/"))
                            .getEntryFirstRep()
                            .getResource();
            assertThat(inBatch.hasTotal())
                    .as("the same search as a batch entry")
                    .isFalse();

            Bundle own = search(reader, "/" + type + "?_count=1000&" + ownLabel);
            Set<String> owned = new HashSet<>(ids(own, SearchEntryMode.MATCH));
            owned.retainAll(all);
            assertThat(owned)
                    .as("%s of %s's own unit", type, reader)
                    .isEqualTo(world(Spärr.NONE).ofType(ownUnit, type));
            assertThat(search(reader, "/" + type + "?_summary=count&" + ownLabel)
                            .getTotal())
                    .isGreaterThanOrEqualTo(owned.size());
            assertThat(reader.request()
                            .when()
                            .get("/" + type + "?_summary=count")
                            .statusCode())
                    .as("a count across patients")
                    .isEqualTo(403);
        }
    }

    static Stream<Reader> readers() {
        return Stream.of(Reader.values());
    }

    @Test
    void searchesThatTellOfOtherDataAreRefusedAndSoAreStandingOnesBeyondTheOwnUnit() {
        World world = world(Spärr.INRE);
        Reader reader = Reader.OWNING_UNIT;
        assertThat(reader.request()
                        .when()
                        .get("/Patient?_has:Goal:subject:_id="
                                + world.orthopaedicGoal().replace("Goal/", ""))
                        .statusCode())
                .isEqualTo(403);
        assertThat(reader.request()
                        .when()
                        .get("/CarePlan?goal.lifecycle-status=active")
                        .statusCode())
                .isEqualTo(403);
        assertThat(reader.request().when().get("/Goal/_history").statusCode()).isEqualTo(403);
        assertThat(reader.request().when().get("/AuditEvent").statusCode()).isEqualTo(403);

        Subscription everything = new Subscription()
                .setStatus(Subscription.SubscriptionStatus.REQUESTED)
                .setReason("Arbetslista")
                .setCriteria("CarePlan?status=active");
        everything
                .getChannel()
                .setType(Subscription.SubscriptionChannelType.RESTHOOK)
                .setEndpoint("http://127.0.0.1:9/hook")
                .setPayload(FHIR_JSON);
        Response refused = reader.request().body(json(everything)).when().post("/Subscription");
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(diagnostics(refused)).contains("_security=" + Vocabulary.OWNER_CARE_UNIT + "|" + VCNY);
        everything.setCriteria("CarePlan?status=active&_security=" + Vocabulary.OWNER_CARE_UNIT + "|" + VCNY);
        reader.request()
                .body(json(everything))
                .when()
                .post("/Subscription")
                .then()
                .statusCode(201);
    }

    @Test
    void aReadOfWhatIsHiddenAnswersAsOneOfWhatDoesNotExist() {
        World world = world(Spärr.INRE);
        Response hidden = Reader.OWNING_UNIT.request().when().get("/" + world.orthopaedicGoal());
        Response absent = Reader.OWNING_UNIT.request().when().get("/" + world.orthopaedicGoal() + "-absent");
        assertThat(hidden.statusCode()).isEqualTo(404);
        assertThat(diagnostics(hidden))
                .isEqualTo(diagnostics(absent).replace(world.orthopaedicGoal() + "-absent", world.orthopaedicGoal()));
    }

    @Test
    void deletedDataTheReaderCouldNotReadAnswersAsDataThatNeverWas() {
        World world = world(Spärr.NONE);
        String goal = "Goal/" + create(as(system(KALMAR, ORTO)), copyOf(world.vardcentralGoal()));
        as(system(KALMAR, ORTO)).when().delete("/" + goal).then().statusCode(200);

        Response hidden = Reader.UNIT_WITHOUT_RELATIONSHIP.request().when().get("/" + goal);
        Response absent = Reader.UNIT_WITHOUT_RELATIONSHIP.request().when().get("/" + goal + "0");
        assertThat(hidden.statusCode()).isEqualTo(404);
        assertThat(diagnostics(hidden)).isEqualTo(diagnostics(absent).replace(goal + "0", goal));
        assertThat(Reader.OWNING_UNIT.request().when().get("/" + goal).statusCode())
                .as("a reader who could read it is told it is gone")
                .isEqualTo(410);
    }

    /**
     * Reading across care givers is not writing there: with the patient's samtycke hemtjänsten (Nybro
     * kommun) reads the region's contract and goal, and is refused (403, saying whose records they
     * are) when it would change or delete them; nothing changes. Its own goal it changes, and a unit
     * of the owner's care giver with a care relationship changes the region's.
     */
    @Test
    void anotherCareGiversRecordsAreReadNotChanged() {
        World world = build(Spärr.NONE);
        String contract = world.first("CarePlan");
        String kommunGoal = world.owned().entrySet().stream()
                .filter(e -> e.getKey().startsWith("Goal/") && e.getValue() == Piece.KOMMUN)
                .map(Map.Entry::getKey)
                .findFirst()
                .orElseThrow();
        Reader kommun = Reader.OTHER_CARE_GIVER_WITH_CONSENT;
        String before = Reader.OWNING_UNIT.request().when().get("/" + contract).header("ETag");

        for (String path : List.of(contract, world.vardcentralGoal())) {
            kommun.request().when().get("/" + path).then().statusCode(200);
            Response patch = kommun.request()
                    .contentType("application/json-patch+json")
                    .body("[{\"op\":\"add\",\"path\":\"/meta/tag\",\"value\":[{\"code\":\"x\"}]}]")
                    .when()
                    .patch("/" + path);
            assertThat(patch.statusCode())
                    .as("PATCH %s by another care giver", path)
                    .isEqualTo(403);
            assertThat(diagnostics(patch)).contains(path, KALMAR, "Patientdatalagen");
            assertThat(kommun.request().when().delete("/" + path).statusCode())
                    .as("DELETE %s by another care giver", path)
                    .isEqualTo(403);
        }
        assertThat(Reader.OWNING_UNIT.request().when().get("/" + contract).header("ETag"))
                .as("the contract is unchanged")
                .isEqualTo(before);
        assertThat(Reader.OWNING_UNIT
                        .request()
                        .when()
                        .get("/" + world.vardcentralGoal())
                        .statusCode())
                .isEqualTo(200);

        String tag = "[{\"op\":\"replace\",\"path\":\"/lifecycleStatus\",\"value\":\"on-hold\"}]";
        kommun.request()
                .contentType("application/json-patch+json")
                .body(tag)
                .when()
                .patch("/" + kommunGoal)
                .then()
                .statusCode(200);
        Reader.UNIT_TAKING_PART
                .request()
                .contentType("application/json-patch+json")
                .body(tag)
                .when()
                .patch("/" + world.vardcentralGoal())
                .then()
                .statusCode(200);
    }

    /**
     * A care relationship is the care of now (aktuell vårdrelation): when the owner revokes the
     * contract and makes the team inactive, Vårdcentralen Oskarshamn, which took part only through
     * them, reads nothing more of the patient unless it declares a relationship; the owning unit
     * still reads its own.
     */
    @Test
    void aCareRelationshipEndsWhenTheCareDoes() {
        World world = build(Spärr.NONE);
        String contract = world.first("CarePlan");
        String team = world.first("CareTeam");
        Reader.UNIT_TAKING_PART.request().when().get("/" + contract).then().statusCode(200);

        RequestSpecification owner = as(system(KALMAR, VCNY)).contentType("application/json-patch+json");
        owner.body("[{\"op\":\"replace\",\"path\":\"/status\",\"value\":\"revoked\"}]")
                .when()
                .patch("/" + contract)
                .then()
                .statusCode(200);
        as(system(KALMAR, VCNY))
                .contentType("application/json-patch+json")
                .body("[{\"op\":\"replace\",\"path\":\"/status\",\"value\":\"inactive\"}]")
                .when()
                .patch("/" + team)
                .then()
                .statusCode(200);

        for (String path : List.of(contract, team, world.vardcentralGoal())) {
            assertThat(Reader.UNIT_TAKING_PART.request().when().get("/" + path).statusCode())
                    .as("%s for a unit whose part in the care has ended", path)
                    .isEqualTo(404);
            assertThat(as(Reader.UNIT_TAKING_PART.token())
                            .header(PdlDeclaration.CARE_RELATIONSHIP_HEADER, "Patienten har sökt vård igen idag")
                            .when()
                            .get("/" + path)
                            .statusCode())
                    .as("%s with a declared care relationship", path)
                    .isEqualTo(200);
            assertThat(Reader.OWNING_UNIT.request().when().get("/" + path).statusCode())
                    .as("%s for its owner", path)
                    .isEqualTo(200);
        }
    }

    /**
     * What was weighed of a patient is remembered across requests only while the contracts, teams,
     * goals and consents it was weighed from are the ones the database holds: a spärr written, and
     * lifted by deleting it, each count from the next request.
     */
    @Test
    void aPatientsWeighingIsRememberedOnlyWhileTheirDataIsUnchanged() {
        World world = build(Spärr.NONE);
        String patient = world.patient().replace("Patient/", "");
        LocalDate today = LocalDate.now(ZoneId.of("Europe/Stockholm"));
        Reader.UNIT_TAKING_PART
                .request()
                .when()
                .get("/" + world.orthopaedicGoal())
                .then()
                .statusCode(200);
        assertThat(weighedPatients.stillHolding(List.of(patient), today))
                .as("the weighing of an unchanged patient is remembered")
                .containsKey(patient);
        directoryHsaIds.updated(null, new Organization().setId("Organization/any"));
        assertThat(weighedPatients.stillHolding(List.of(patient), today))
                .as("a directory write forgets what was weighed with the directory's HSA-ids")
                .isEmpty();
        Reader.UNIT_TAKING_PART
                .request()
                .when()
                .get("/" + world.orthopaedicGoal())
                .then()
                .statusCode(200);
        assertThat(weighedPatients.stillHolding(List.of(patient), today)).containsKey(patient);

        String spärr = "Consent/" + create(as(system(KALMAR, ORTO)), inreSpärr(world.patient()));
        assertThat(weighedPatients.stillHolding(List.of(patient), today))
                .as("a new consent makes the remembered weighing stale")
                .isEmpty();
        Reader.UNIT_TAKING_PART
                .request()
                .when()
                .get("/" + world.orthopaedicGoal())
                .then()
                .statusCode(404);
        assertThat(blockedSaid(search(Reader.UNIT_TAKING_PART, "/Goal?subject=" + world.patient())))
                .as("the spärr written after the patient was weighed is said")
                .isTrue();

        as(system(KALMAR, ORTO)).when().delete("/" + spärr).then().statusCode(200);
        Reader.UNIT_TAKING_PART
                .request()
                .when()
                .get("/" + world.orthopaedicGoal())
                .then()
                .statusCode(200);
        assertThat(blockedSaid(search(Reader.UNIT_TAKING_PART, "/Goal?subject=" + world.patient())))
                .as("a spärr deleted no longer hides")
                .isFalse();
    }

    private static String unitOf(Piece piece) {
        return switch (piece) {
            case VARDCENTRAL -> VCNY;
            case ORTOPED -> ORTO;
            case KOMMUN -> HEMTJANST;
        };
    }

    private static String careGiverOf(Piece piece) {
        return piece == Piece.KOMMUN ? NYBRO_KOMMUN : KALMAR;
    }

    private Bundle search(Reader reader, String path) {
        return ok(reader.request().when().get(path));
    }

    private Bundle ok(Response response) {
        return parse(response.then().statusCode(200).extract().response(), Bundle.class);
    }

    private static boolean blockedSaid(Bundle bundle) {
        return bundle.getEntry().stream()
                .filter(e -> e.getSearch().getMode() == SearchEntryMode.OUTCOME)
                .map(e -> (OperationOutcome) e.getResource())
                .flatMap(o -> o.getIssue().stream())
                .anyMatch(issue -> issue.getDiagnostics().startsWith("Spärrad information finns"));
    }

    private synchronized World world(Spärr spärr) {
        return WORLDS.computeIfAbsent(spärr, this::build);
    }

    /** A patient with data owned by three units of two care givers, and the spärr of the variant. */
    private World build(Spärr spärr) {
        Map<String, Piece> owned = new LinkedHashMap<>();
        ContractFixture contract = ContractFixture.create(fhirContext);
        as(system(KALMAR, VCNY))
                .body(json(contract.transaction()))
                .when()
                .post("/")
                .then()
                .statusCode(200);
        owned.put(contract.contractId(), Piece.VARDCENTRAL);
        owned.put(contract.teamId(), Piece.VARDCENTRAL);
        contract.goalIds().forEach(goal -> owned.put(goal, Piece.VARDCENTRAL));

        String orthopaedicGoal = "Goal/"
                + create(as(system(KALMAR, ORTO)), copyOf(contract.goalIds().get(0)));
        owned.put(orthopaedicGoal, Piece.ORTOPED);
        owned.put(
                "Goal/"
                        + create(
                                as(system(NYBRO_KOMMUN, HEMTJANST)),
                                copyOf(contract.goalIds().get(0))),
                Piece.KOMMUN);
        Consent samtycke = ConsentFixture.about(fhirContext, ConsentFixture.SAMTYCKE, contract.patientId());
        owned.put("Consent/" + create(as(system(NYBRO_KOMMUN, HEMTJANST)), samtycke), Piece.KOMMUN);
        if (spärr == Spärr.INRE) {
            owned.put("Consent/" + create(as(system(KALMAR, ORTO)), inreSpärr(contract.patientId())), Piece.ORTOPED);
        } else if (spärr == Spärr.YTTRE) {
            Consent yttre = ConsentFixture.about(fhirContext, ConsentFixture.YTTRE_SPARR, contract.patientId());
            yttre.getOrganizationFirstRep().setReference("Organization/hemtjansten-nybro");
            yttre.getProvision().getActorFirstRep().setReference(hsaId(NYBRO_KOMMUN));
            owned.put("Consent/" + create(as(system(NYBRO_KOMMUN, HEMTJANST)), yttre), Piece.KOMMUN);
        }
        return new World(contract.patientId(), owned, orthopaedicGoal);
    }

    /** The patient's inre spärr of Ortopedkliniken's information, as the clinic records it. */
    private Consent inreSpärr(String patient) {
        Consent inre = ConsentFixture.about(fhirContext, ConsentFixture.INRE_SPARR, patient);
        inre.getOrganizationFirstRep().setReference("Organization/ortopedkliniken-oskarshamn");
        inre.getProvision().getActorFirstRep().setReference(hsaId(ORTO));
        return inre;
    }

    /** A copy of a stored goal, without id or labels, as another unit would record one. */
    private Goal copyOf(String storedGoal) {
        Goal stored = read(system(KALMAR, VCNY), storedGoal, Goal.class);
        Goal goal = stored.copy();
        goal.setId((String) null);
        goal.setMeta(null);
        stored.getMeta().getProfile().forEach(profile -> goal.getMeta().addProfile(profile.getValue()));
        return goal;
    }

    private static Reference hsaId(String hsaId) {
        return new Reference()
                .setIdentifier(
                        new Identifier().setSystem(SwedishIdentifiers.HSA_ID).setValue(hsaId));
    }

    /** An EHR integration of one care unit. */
    static String system(String careGiver, String unit) {
        return TestTokens.token(c -> c.subject("ehr-" + unit)
                .claim("azp", "ehr-" + unit)
                .claim("scope", "system/*.cruds")
                .claim("healthCareUnitHsaId", unit)
                .claim("healthCareProviderHsaId", careGiver));
    }
}
