package se.patientkontrakt.fhir.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.ValueSet;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.FhirIT;
import se.patientkontrakt.fhir.contract.Vocabulary;

/** The terminology operations on the shipped code systems and value sets, offline. */
class TerminologyIT extends FhirIT {

    private static final String ACTIVITY_KIND_SYSTEM = Vocabulary.CANONICAL_BASE + "/CodeSystem/pk-activity-kind";
    private static final String FAST_KONTAKT_SYSTEM = Vocabulary.FAST_KONTAKT;

    @Test
    void expandsALocalValueSetWithSwedishDisplays() {
        ValueSet expanded = read("/ValueSet/pk-activity-kind/$expand", ValueSet.class);

        assertThat(expanded.getExpansion().getContains())
                .extracting(c -> c.getCode() + "=" + c.getDisplay())
                .contains(
                        "patient-responsibility=Patienten ansvarar för",
                        "care-responsibility=Vården ansvarar för",
                        "next-step=Nästa steg")
                .hasSize(5);
        assertThat(expanded.getUrl()).isEqualTo(Vocabulary.CANONICAL_BASE + "/ValueSet/pk-activity-kind");
        assertThat(expanded.getStatus()).isNotNull();
        assertThat(expanded.getExpansion().getTimestamp()).isNotNull();
        assertThat(expanded.getExpansion().getTotal()).isEqualTo(5);
    }

    @Test
    void expandsTheIneraFixedContactValueSet() {
        ValueSet expanded = read("/ValueSet/pk-kv-typ-av-fast-kontakt/$expand", ValueSet.class);

        assertThat(expanded.getExpansion().getContains())
                .extracting(c -> c.getSystem() + "|" + c.getCode())
                .contains(FAST_KONTAKT_SYSTEM + "|1", FAST_KONTAKT_SYSTEM + "|2");
    }

    @Test
    void validatesCodesAgainstValueSetsAndCodeSystems() {
        assertThat(result(fhir().queryParam("system", ACTIVITY_KIND_SYSTEM)
                        .queryParam("code", "next-step")
                        .when()
                        .get("/ValueSet/pk-activity-kind/$validate-code")))
                .isTrue();
        assertThat(result(fhir().queryParam("system", ACTIVITY_KIND_SYSTEM)
                        .queryParam("code", "wish-list")
                        .when()
                        .get("/ValueSet/pk-activity-kind/$validate-code")))
                .isFalse();
        assertThat(result(fhir().queryParam("url", ACTIVITY_KIND_SYSTEM)
                        .queryParam("code", "escalation")
                        .when()
                        .get("/CodeSystem/$validate-code")))
                .isTrue();
    }

    @Test
    void expandsByUrlWithAFilter() {
        ValueSet expanded = parse(
                fhir().queryParam("url", Vocabulary.CANONICAL_BASE + "/ValueSet/pk-activity-kind")
                        .queryParam("filter", "ansvarar")
                        .when()
                        .get("/ValueSet/$expand")
                        .then()
                        .statusCode(200)
                        .extract()
                        .response(),
                ValueSet.class);

        assertThat(expanded.getExpansion().getContains())
                .extracting(c -> c.getCode())
                .containsExactlyInAnyOrder("patient-responsibility", "care-responsibility");
    }

    @Test
    void anUnknownValueSetIs404() {
        fhir().queryParam("url", "https://example.org/ValueSet/none")
                .when()
                .get("/ValueSet/$expand")
                .then()
                .statusCode(404);
    }

    @Test
    void capabilityStatementListsTheProfilesEnforcedOnWrite() {
        org.hl7.fhir.r4.model.CapabilityStatement capabilities =
                parse(fhir().when().get("/metadata"), org.hl7.fhir.r4.model.CapabilityStatement.class);

        assertThat(capabilities.getRestFirstRep().getResource().stream()
                        .filter(r -> r.getType().equals("CarePlan"))
                        .flatMap(r -> r.getSupportedProfile().stream())
                        .map(p -> p.getValue()))
                .contains(Vocabulary.PATIENTKONTRAKT_PROFILE);
    }

    private boolean result(io.restassured.response.Response response) {
        response.then().statusCode(200);
        Parameters parameters = parse(response, Parameters.class);
        return ((BooleanType) parameters.getParameter("result").getValue()).booleanValue();
    }
}
