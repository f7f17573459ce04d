package se.patientkontrakt.fhir.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.SearchEntryMode;
import org.hl7.fhir.r4.model.CanonicalType;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.Consent.ConsentProvisionType;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Period;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import se.patientkontrakt.fhir.ConsentFixture;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.security.SecuredFhirIT;
import se.patientkontrakt.fhir.security.TestTokens;

/**
 * The patient's samtycke and spärr ({@code pk-consent}) as care writes them and the patient reads
 * them: a Consent that contradicts itself, blocks nothing in particular, declares another profile
 * or names a patient no one holds is refused with an OperationOutcome that says which rule and
 * where, and nothing is stored; a valid one is stored, owned and recorded like a contract; the
 * patient reads their own and no one else's.
 */
class ConsentIT extends SecuredFhirIT {

    private ContractFixture mine;
    private ContractFixture theirs;

    @BeforeEach
    void twoPatients() {
        mine = storedContract();
        theirs = storedContract();
    }

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of(
                        "a spärr that names no one",
                        ConsentFixture.YTTRE_SPARR,
                        (Consumer<Consent>) c -> c.getProvision().getActor().clear(),
                        "pk-18"),
                Arguments.of(
                        "an inre spärr that names the care giver as custodian, not a unit",
                        ConsentFixture.INRE_SPARR,
                        (Consumer<Consent>) c -> c.getProvision()
                                .getActorFirstRep()
                                .getRole()
                                .getCodingFirstRep()
                                .setCode("CST"),
                        "pk-18"),
                Arguments.of(
                        "a samtycke that denies",
                        ConsentFixture.SAMTYCKE,
                        (Consumer<Consent>) c -> c.getProvision().setType(ConsentProvisionType.DENY),
                        "pk-19"),
                Arguments.of(
                        "a spärr that permits",
                        ConsentFixture.YTTRE_SPARR,
                        (Consumer<Consent>) c -> c.getProvision().setType(ConsentProvisionType.PERMIT),
                        "pk-19"),
                Arguments.of(
                        "a samtycke that is also a spärr",
                        ConsentFixture.SAMTYCKE,
                        (Consumer<Consent>) c -> c.getCategoryFirstRep()
                                .addCoding()
                                .setSystem(Vocabulary.codeSystem("pk-consent-category"))
                                .setCode("yttre-sparr"),
                        "pk-19"),
                Arguments.of(
                        "a period that ends before it starts",
                        ConsentFixture.SAMTYCKE,
                        (Consumer<Consent>) c -> c.getProvision()
                                .setPeriod(new Period()
                                        .setStartElement(new DateTimeType("2026-10-02"))
                                        .setEndElement(new DateTimeType("2026-09-30"))),
                        "pk-20"),
                Arguments.of(
                        "another profile",
                        ConsentFixture.SAMTYCKE,
                        (Consumer<Consent>) c -> c.getMeta()
                                .getProfile()
                                .set(0, new CanonicalType(Vocabulary.structureDefinition("pk-mal"))),
                        "pk-consent"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void anInvalidConsentIsRefusedWithTheRuleAndNothingIsStored(
            String name, String example, Consumer<Consent> breaking, String rule) {
        Consent consent = ConsentFixture.about(fhirContext, example, mine.patientId());
        breaking.accept(consent);
        int before = consentsOf(mine.patientId());

        Response response = as(EHR).body(json(consent)).when().post("/Consent");

        response.then().statusCode(422);
        OperationOutcome outcome = outcome(response);
        assertThat(outcome.getIssue()).isNotEmpty().anySatisfy(issue -> assertThat(issue.getSeverity())
                .isEqualTo(OperationOutcome.IssueSeverity.ERROR));
        assertThat(outcome.getIssue())
                .filteredOn(issue -> issue.getSeverity() == OperationOutcome.IssueSeverity.ERROR)
                .allSatisfy(issue -> assertThat(issue.getExpression()).isNotEmpty());
        assertThat(diagnostics(response)).contains(rule);
        assertThat(consentsOf(mine.patientId())).isEqualTo(before);
    }

    @Test
    void aConsentAboutAPatientNoOneHoldsIsRefused() {
        String nobody = "Patient/ingen-" + mine.suffix();
        Consent consent = ConsentFixture.about(fhirContext, ConsentFixture.SAMTYCKE, nobody);

        Response response = as(EHR).body(json(consent)).when().post("/Consent");

        // HAPI refuses a reference to nothing before validation, as a bad request, naming the first
        // reference it checks: the fixture names the patient as patient and as performer, and which
        // comes first differs between H2 and PostgreSQL.
        response.then().statusCode(400);
        assertThat(diagnostics(response)).contains(nobody).containsPattern("Consent\\.(patient|performer)");
        assertThat(consentsOf(nobody)).isZero();
    }

    @Test
    void aConsentThatIsNotFhirIsRefused() {
        int before = consentsOf(mine.patientId());

        Response response = as(EHR).body("{\"resourceType\": \"Consent\", \"status\": ")
                .when()
                .post("/Consent");

        response.then().statusCode(400);
        assertThat(outcome(response).getIssue()).isNotEmpty();
        assertThat(consentsOf(mine.patientId())).isEqualTo(before);
    }

    @Test
    void careRecordsASamtyckeAndASparrOwnedAndRecordedAsAContract() {
        String samtycke = created(ConsentFixture.SAMTYCKE, mine.patientId());
        String sparr = created(ConsentFixture.YTTRE_SPARR, mine.patientId());

        for (String id : new String[] {samtycke, sparr}) {
            Consent stored = read(EHR, id, Consent.class);
            assertThat(stored.getMeta().getSecurity())
                    .anySatisfy(label -> {
                        assertThat(label.getSystem()).isEqualTo(Vocabulary.OWNER_CARE_GIVER);
                        assertThat(label.getCode()).isEqualTo(TestTokens.REGION_KALMAR);
                    })
                    .anySatisfy(label -> {
                        assertThat(label.getSystem()).isEqualTo(Vocabulary.OWNER_CARE_UNIT);
                        assertThat(label.getCode()).isEqualTo(TestTokens.VARDCENTRALEN_OSKARSHAMN);
                    });
            assertThat(search(EHR, "/Provenance?target=" + id).getEntry()).hasSize(1);
        }
        assertThat(consentsOf(mine.patientId())).isEqualTo(2);
    }

    @Test
    void thePatientReadsTheirOwnConsentsAndNoOneElsesOnEveryPath() {
        String own = created(ConsentFixture.SAMTYCKE, mine.patientId());
        String others = created(ConsentFixture.INRE_SPARR, theirs.patientId());
        String me = TestTokens.patient(mine.patientId(), "patient/*.read");

        assertThat(read(me, own, Consent.class).getPatient().getReference()).isEqualTo(mine.patientId());
        as(me).when().get("/" + own + "/_history").then().statusCode(200);
        Bundle all = search(me, "/Consent?_include=Consent:patient&_include=Consent:actor");
        assertThat(ids(all, SearchEntryMode.MATCH)).containsExactly(own);
        assertThat(ids(all, SearchEntryMode.INCLUDE)).contains(mine.patientId(), "Organization/nybro-kommun");
        assertThat(ids(search(me, "/Patient?_revinclude=Consent:patient"), SearchEntryMode.INCLUDE))
                .containsExactly(own);

        for (String path : new String[] {
            "/" + others, "/" + others + "/_history", "/" + others + "/_history/1",
        }) {
            Response response = as(me).when().get(path);
            response.then().statusCode(404);
            assertThat(response.asString()).doesNotContain(theirs.suffix());
        }
        assertThat(search(me, "/Consent?patient=" + theirs.patientId()).getEntry())
                .isEmpty();
        assertThat(search(me, "/Consent?_id=" + others.replace("Consent/", "")).getEntry())
                .isEmpty();

        Bundle batch = new Bundle().setType(Bundle.BundleType.BATCH);
        batch.addEntry().getRequest().setMethod(Bundle.HTTPVerb.GET).setUrl(own);
        batch.addEntry().getRequest().setMethod(Bundle.HTTPVerb.GET).setUrl(others);
        batch.addEntry().getRequest().setMethod(Bundle.HTTPVerb.GET).setUrl("Consent");
        Bundle answers = parse(
                as(me).body(json(batch))
                        .when()
                        .post("/")
                        .then()
                        .statusCode(200)
                        .extract()
                        .response(),
                Bundle.class);
        assertThat(answers.getEntry().get(0).getResponse().getStatus()).startsWith("200");
        assertThat(answers.getEntry().get(1).getResponse().getStatus()).startsWith("404");
        assertThat(ids((Bundle) answers.getEntry().get(2).getResource(), SearchEntryMode.MATCH))
                .containsExactly(own);
    }

    @Test
    void aPatientTokenWritesNoConsentNotEvenTheirOwn() {
        String own = created(ConsentFixture.SAMTYCKE, mine.patientId());
        String me = TestTokens.patient(mine.patientId(), "patient/*.read patient/*.write");
        Consent lifted = read(EHR, own, Consent.class);
        lifted.setStatus(Consent.ConsentState.INACTIVE);

        as(me).body(json(ConsentFixture.about(fhirContext, ConsentFixture.SAMTYCKE, mine.patientId())))
                .when()
                .post("/Consent")
                .then()
                .statusCode(403);
        as(me).body(json(lifted)).when().put("/" + own).then().statusCode(403);
        as(me).when().delete("/" + own).then().statusCode(403);
        assertThat(read(EHR, own, Consent.class).getStatus()).isEqualTo(Consent.ConsentState.ACTIVE);
    }

    @Test
    void careLiftsASparrByAnUpdate() {
        String sparr = created(ConsentFixture.YTTRE_SPARR, mine.patientId());
        Consent lifted = read(EHR, sparr, Consent.class);
        lifted.setStatus(Consent.ConsentState.INACTIVE);

        as(EHR).body(json(lifted)).when().put("/" + sparr).then().statusCode(200);

        assertThat(read(EHR, sparr, Consent.class).getStatus()).isEqualTo(Consent.ConsentState.INACTIVE);
        assertThat(search(EHR, "/Consent?patient=" + mine.patientId() + "&status=active")
                        .getEntry())
                .isEmpty();
    }

    @Test
    void theCapabilityStatementListsConsentWithItsProfile() {
        CapabilityStatement capabilities = parse(fhir().when().get("/metadata"), CapabilityStatement.class);

        assertThat(capabilities.getRestFirstRep().getResource())
                .filteredOn(resource -> resource.getType().equals("Consent"))
                .singleElement()
                .satisfies(consent -> {
                    assertThat(consent.getSupportedProfile())
                            .extracting(CanonicalType::getValue)
                            .contains(Vocabulary.structureDefinition("pk-consent"));
                    assertThat(consent.getSearchParam())
                            .extracting(p -> p.getName())
                            .contains("patient", "category", "actor", "status");
                });
    }

    private String created(String example, String patientReference) {
        Consent consent = ConsentFixture.about(fhirContext, example, patientReference);
        return "Consent/" + create(as(EHR), consent);
    }

    private int consentsOf(String patientReference) {
        return search(EHR, "/Consent?_summary=count&patient=" + patientReference)
                .getTotal();
    }
}
