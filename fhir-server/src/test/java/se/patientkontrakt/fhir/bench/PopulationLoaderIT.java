package se.patientkontrakt.fhir.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.IntStream;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.bench.ListedPopulation.Malgrupp;
import se.patientkontrakt.fhir.population.PopulationLoader;
import se.patientkontrakt.fhir.population.PopulationLoader.Rejected;
import se.patientkontrakt.fhir.population.PopulationLoader.Result;
import se.patientkontrakt.fhir.security.SecuredFhirIT;
import se.patientkontrakt.fhir.security.TestTokens;

/**
 * A region's population loaded from NDJSON through the REST API with a region-wide client's token:
 * the good lines are stored, each bad line (not JSON, an invalid personnummer, a profile of another
 * type, a personnummer a stored patient holds, a Group member no one is) is reported with its line
 * number and the server's reason while the rest loads, and what was stored before is untouched. A
 * Group over the request limit is stored in parts.
 */
class PopulationLoaderIT extends SecuredFhirIT {

    /** The scopes docs/populations.md names for a loader: it writes, and reads nothing. */
    private static final String LOADER =
            TestTokens.regionWide("system/Organization.cu system/Patient.cu system/Group.cu");

    private static final String FOLLOW_UP =
            TestTokens.regionWide("system/Organization.rs system/Patient.rs system/Group.rs");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int RESIDENTS = 40;

    @TempDir
    Path directory;

    @Test
    void goodLinesAreStoredAndEveryBadLineIsReportedWithItsNumberAndReason() throws Exception {
        long seed = ThreadLocalRandom.current().nextLong(1_000_000, 1_000_000_000);
        ListedPopulation population = new ListedPopulation(seed, RESIDENTS, LocalDate.now(), 2);
        PopulationNdjson ndjson = new PopulationNdjson(fhirContext, population);
        Map<Malgrupp, Integer> sizes = ndjson.write(directory);
        ContractFixture earlier = storedContract();

        Path patients = directory.resolve("Patient.ndjson");
        List<String> lines = new ArrayList<>(Files.readAllLines(patients));
        ObjectNode template = (ObjectNode) JSON.readTree(lines.get(0));
        // Line numbers as the report gives them (1-based, in the file as written).
        lines.add(3, "{\"resourceType\": \"Patient\", \"id\": \"" + population.prefix() + "-broken\", ");
        lines.add(11, variant(template, "-bad-pnr", "194001011234").toString());
        ObjectNode otherProfile = variant(template, "-other-profile", ContractFixture.personnummer());
        otherProfile.with("meta").putArray("profile").add(PopulationNdjson.PROFILE + "pk-practitioner");
        lines.add(21, otherProfile.toString());
        lines.add(
                31, variant(template, "-taken-pnr", earlier.personnummerValue()).toString());
        lines.add(35, "");
        Files.write(patients, lines);

        Path groups = directory.resolve("Group.ndjson");
        Group unknownMember = ndjson.group(Malgrupp.RUB_5, List.of(member(population.prefix() + "-no-such-patient")));
        unknownMember.setId(population.prefix() + "-rub-5-unknown");
        Group everyone = ndjson.group(
                Malgrupp.PLUS_75,
                IntStream.range(0, RESIDENTS)
                        .mapToObj(i -> member(population.prefix() + "-" + i))
                        .toList());
        everyone.setId(population.prefix() + "-alla");
        Files.writeString(
                groups,
                fhirContext.newJsonParser().encodeResourceToString(unknownMember) + "\n"
                        + fhirContext.newJsonParser().encodeResourceToString(everyone) + "\n",
                StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);

        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        Path report = directory.resolve("rejected.tsv");
        PopulationLoader loader = new PopulationLoader(new PopulationLoader.Settings(
                URI.create("http://localhost:" + port + "/fhir"),
                () -> Optional.of(LOADER),
                7,
                2,
                // Two or three Patients to a Bundle, and the group of everyone in parts.
                3_000,
                report,
                new PrintStream(progress, true, StandardCharsets.UTF_8)));
        Result result = loader.load(
                PopulationNdjson.FILES.stream().map(directory::resolve).toList());

        assertThat(result.rejected())
                .extracting(Rejected::file, Rejected::line)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("Patient.ndjson", 4L),
                        org.assertj.core.groups.Tuple.tuple("Patient.ndjson", 12L),
                        org.assertj.core.groups.Tuple.tuple("Patient.ndjson", 22L),
                        org.assertj.core.groups.Tuple.tuple("Patient.ndjson", 32L),
                        org.assertj.core.groups.Tuple.tuple("Group.ndjson", 5L));
        assertThat(result.rejected().get(0).reason()).startsWith("not JSON");
        assertThat(result.rejected().get(1).reason()).contains("194001011234' has a wrong check digit");
        assertThat(result.rejected().get(1).status()).isEqualTo(422);
        assertThat(result.rejected().get(2).reason()).contains("pk-practitioner");
        assertThat(result.rejected().get(3).reason()).contains(earlier.personnummerValue());
        assertThat(result.rejected().get(4).reason()).contains(population.prefix() + "-no-such-patient");
        assertThat(result.stored()).isEqualTo(1 + 2 + RESIDENTS + Malgrupp.values().length + 1);
        assertThat(Files.readAllLines(report))
                .hasSize(6)
                .element(1)
                .asString()
                .startsWith("Patient.ndjson\t4\t\t0\tnot JSON");
        assertThat(progress.toString(StandardCharsets.UTF_8)).contains("Patient.ndjson  44/44 lines  4 rejected");

        for (int i = 0; i < RESIDENTS; i++) {
            Patient patient = read(FOLLOW_UP, "Patient/" + population.prefix() + "-" + i, Patient.class);
            assertThat(patient.getGeneralPractitionerFirstRep().getReference())
                    .isEqualTo(
                            "Organization/" + population.resident(i).listedAt().id());
        }
        for (Malgrupp kind : Malgrupp.values()) {
            Group group = read(FOLLOW_UP, "Group/" + population.groupId(kind), Group.class);
            assertThat(group.getMember()).hasSize(sizes.get(kind));
        }
        Group inParts = read(FOLLOW_UP, "Group/" + population.prefix() + "-alla", Group.class);
        assertThat(inParts.getMember()).hasSize(RESIDENTS);
        assertThat(inParts.getQuantity()).isEqualTo(RESIDENTS);
        assertThat(Integer.parseInt(inParts.getMeta().getVersionId())).isGreaterThan(1);
        as(FOLLOW_UP)
                .when()
                .get("/Patient/" + population.prefix() + "-bad-pnr")
                .then()
                .statusCode(404);
        Result again = new PopulationLoader(new PopulationLoader.Settings(
                        URI.create("http://localhost:" + port + "/fhir"),
                        () -> Optional.of(LOADER),
                        7,
                        2,
                        3_000,
                        directory.resolve("again.tsv"),
                        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)))
                .load(List.of(patients));
        assertThat(again.rejected()).extracting(Rejected::line).containsExactly(4L, 12L, 22L, 32L);
        assertThat(read(FOLLOW_UP, "Patient/" + population.prefix() + "-0", Patient.class)
                        .getMeta()
                        .getVersionId())
                .as("a rerun of the same lines stores no new version")
                .isEqualTo("1");
        Patient untouched = read(FOLLOW_UP, earlier.patientId(), Patient.class);
        assertThat(untouched.getMeta().getVersionId()).isEqualTo("1");
        assertThat(untouched.getIdentifierFirstRep().getValue()).isEqualTo(earlier.personnummerValue());
    }

    /**
     * A Group of more members than {@code hapi/GroupMemberResolution} leaves to HAPI, stored in
     * parts (one create, then patches that add members): every member is linked to the Patient it
     * names (found by {@code member} and {@code current-member}), and a Group that names a patient
     * no one is, or a deleted one, is refused as a small Group is.
     */
    @Test
    void aLargeGroupIsStoredInPartsWithEveryMemberLinkedAndOneNamingNoPatientIsRefused() throws Exception {
        long seed = ThreadLocalRandom.current().nextLong(1_000_000, 1_000_000_000);
        int residents = 3 * 110;
        ListedPopulation population = new ListedPopulation(seed, residents, LocalDate.now(), 2);
        PopulationNdjson ndjson = new PopulationNdjson(fhirContext, population);
        ndjson.write(directory);
        Path groups = directory.resolve("Group.ndjson");
        Group everyone = ndjson.group(
                Malgrupp.PLUS_75,
                IntStream.range(0, residents)
                        .mapToObj(i -> member(population.prefix() + "-" + i))
                        .toList());
        everyone.setId(population.prefix() + "-alla");
        Files.writeString(groups, fhirContext.newJsonParser().encodeResourceToString(everyone) + "\n");

        Result result = new PopulationLoader(new PopulationLoader.Settings(
                        URI.create("http://localhost:" + port + "/fhir"),
                        () -> Optional.of(LOADER),
                        100,
                        2,
                        // 330 members of some 120 bytes: the Group in at least three parts.
                        16_000,
                        directory.resolve("rejected.tsv"),
                        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)))
                .load(PopulationNdjson.FILES.stream().map(directory::resolve).toList());

        assertThat(result.rejected()).isEmpty();
        Group stored = read(FOLLOW_UP, "Group/" + everyone.getIdPart(), Group.class);
        assertThat(stored.getMember()).hasSize(residents);
        assertThat(Integer.parseInt(stored.getMeta().getVersionId())).isGreaterThanOrEqualTo(3);
        for (int i : new int[] {0, 109, 110, 250, residents - 1}) {
            String patient = "Patient/" + population.prefix() + "-" + i;
            assertThat(search(FOLLOW_UP, "/Group?member=" + patient).getEntry())
                    .extracting(entry -> entry.getResource().getIdElement().getIdPart())
                    .contains(everyone.getIdPart());
            assertThat(search(FOLLOW_UP, "/Group?current-member=" + patient).getEntry())
                    .extracting(entry -> entry.getResource().getIdElement().getIdPart())
                    .contains(everyone.getIdPart());
        }

        // The region's next load leaves one resident out: that member's links go, the others stay.
        String leftOut = "Patient/" + population.prefix() + "-250";
        stored.getMember().removeIf(member -> member.getEntity().getReference().equals(leftOut));
        stored.setQuantity(stored.getMember().size());
        as(LOADER)
                .body(fhirContext.newJsonParser().encodeResourceToString(stored))
                .when()
                .put("/Group/" + everyone.getIdPart())
                .then()
                .statusCode(200);
        assertThat(search(FOLLOW_UP, "/Group?member=" + leftOut).getEntry()).isEmpty();
        assertThat(search(FOLLOW_UP, "/Group?current-member=" + leftOut).getEntry())
                .isEmpty();
        assertThat(search(FOLLOW_UP, "/Group?member=Patient/" + population.prefix() + "-251")
                        .getEntry())
                .hasSize(1);
        assertThat(search(FOLLOW_UP, "/Group?current-member=Patient/" + population.prefix() + "-249")
                        .getEntry())
                .hasSize(1);

        List<Group.GroupMemberComponent> members = new ArrayList<>();
        IntStream.range(0, 150).forEach(i -> members.add(member(population.prefix() + "-" + i)));
        members.add(member(population.prefix() + "-no-such-patient"));
        Group unknown = ndjson.group(Malgrupp.RUB_4, members);
        unknown.setId(population.prefix() + "-okand");
        assertRefusedNaming(unknown, population.prefix() + "-no-such-patient");

        ObjectNode template = (ObjectNode) JSON.readTree(
                Files.readAllLines(directory.resolve("Patient.ndjson")).get(0));
        ObjectNode gone = variant(template, "-borta", ContractFixture.personnummer());
        as(EHR).body(gone.toString())
                .when()
                .put("/Patient/" + gone.get("id").asText())
                .then()
                .statusCode(201);
        as(EHR).when().delete("/Patient/" + gone.get("id").asText()).then().statusCode(200);
        members.set(members.size() - 1, member(gone.get("id").asText()));
        Group withDeleted = ndjson.group(Malgrupp.RUB_4, members);
        withDeleted.setId(population.prefix() + "-borttagen");
        assertRefusedNaming(withDeleted, gone.get("id").asText());
    }

    /** The Group is refused (a member no one is, or a deleted one), naming that member, and not stored. */
    private void assertRefusedNaming(Group group, String member) {
        as(LOADER)
                .body(fhirContext.newJsonParser().encodeResourceToString(group))
                .when()
                .put("/Group/" + group.getIdPart())
                .then()
                .statusCode(org.hamcrest.Matchers.oneOf(400, 404, 409, 410))
                .body(org.hamcrest.Matchers.containsString(member));
        as(FOLLOW_UP).when().get("/Group/" + group.getIdPart()).then().statusCode(404);
    }

    /** The template Patient under another id, with this personnummer when given. */
    private static ObjectNode variant(ObjectNode template, String idSuffix, String personnummer) {
        ObjectNode copy = template.deepCopy();
        copy.put("id", copy.get("id").asText() + idSuffix);
        if (personnummer != null) {
            ((ObjectNode) copy.withArray("identifier").get(0))
                    .put("system", "http://electronichealth.se/identifier/personnummer")
                    .put("value", personnummer);
        }
        return copy;
    }

    private static Group.GroupMemberComponent member(String patientId) {
        return new Group.GroupMemberComponent(new Reference("Patient/" + patientId))
                .setPeriod(new Period().setStartElement(new org.hl7.fhir.r4.model.DateTimeType("2026-01-01")));
    }
}
