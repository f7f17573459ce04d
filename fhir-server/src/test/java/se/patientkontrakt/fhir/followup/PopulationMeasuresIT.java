package se.patientkontrakt.fhir.followup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.startsWith;

import io.restassured.response.Response;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DateType;
import org.hl7.fhir.r4.model.Enumerations.AdministrativeGender;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.Measure;
import org.hl7.fhir.r4.model.MeasureReport;
import org.hl7.fhir.r4.model.MeasureReport.MeasureReportGroupStratifierComponent;
import org.hl7.fhir.r4.model.MeasureReport.StratifierGroupComponent;
import org.hl7.fhir.r4.model.Narrative;
import org.hl7.fhir.r4.model.OperationDefinition;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.MalgruppFixture;
import se.patientkontrakt.fhir.contract.SwedishIdentifiers;
import se.patientkontrakt.fhir.contract.Vocabulary;
import se.patientkontrakt.fhir.security.SecuredFhirIT;
import se.patientkontrakt.fhir.security.TestTokens;

/**
 * The regions' population questions as measures, over a small population made for this class:
 * two health centres of its own, A and B, a RUB 5 group and two SÄBO groups, evaluated for 2026.
 *
 * <pre>
 * patient listed contract(2026) fast läkarkontakt today  SIP  RUB 5 member  born        sex
 * P1      A      yes            yes                        –    yes           1940-02-10  female
 * P2      A      yes            no (none in the team)      –    yes           1950-05-05  female
 * P3      B      yes            no (ended 2025-06-30)      –    yes           1960-06-15  male
 * P4      B      no             no                         –    yes           –
 * P5      –      no             no                         –    yes           –
 * P6      A      yes            yes                        –    left 2025     1990-01-01  male
 * P7      B      yes            yes                        yes  yes           1945-03-03  female
 * P8      A      yes            yes                        –    no            (1955 by personnummer) none
 * SÄBO 1: P1, P3. SÄBO 2: P7.
 * </pre>
 *
 * RUB 5 in force today: P1, P2, P3, P4, P5, P7 (P6 left, and is inactive).
 */
class PopulationMeasuresIT extends SecuredFhirIT {

    private static final String PERIOD = "periodStart=2026-01-01&periodEnd=2026-12-31";
    private static final String LOADED = "2026-11-02T06:00:00+01:00";

    private static final String FOLLOW_UP =
            TestTokens.regionWide("system/CarePlan.rs system/Group.cruds system/Patient.rs");
    private static final List<String> MEASURES = List.of(
            "pk-malgrupp-utan-fast-lakarkontakt",
            "pk-malgrupp-med-patientkontrakt",
            "pk-malgrupp-med-sip",
            "pk-listade-med-fast-lakarkontakt",
            "pk-sabo-med-fast-lakarkontakt",
            "pk-patientkontrakt-per-grupp");

    private static String unitA;
    private static String unitB;
    private static String rub5;
    private static String sabo1;
    private static String sabo2;
    private static String retired;
    private static MeasureReport listedBefore;
    private static MeasureReport perGroupBefore;

    @BeforeEach
    void storePopulationOnce() {
        if (rub5 != null) {
            return;
        }
        listedBefore = evaluate("pk-listade-med-fast-lakarkontakt", "");
        perGroupBefore = evaluate("pk-patientkontrakt-per-grupp", "");
        String suffix = "p" + Long.toString(System.nanoTime(), 36);
        String hsaSuffix = suffix.toUpperCase(java.util.Locale.ROOT);
        String a = healthCentre("vc-a-" + suffix, "Vårdcentralen A " + suffix, "SE2321000073-VA" + hsaSuffix);
        String b = healthCentre("vc-b-" + suffix, "Vårdcentralen B " + suffix, "SE2321000073-VB" + hsaSuffix);

        ContractFixture p1 = contract(a, "1940-02-10", AdministrativeGender.FEMALE);
        ContractFixture p2 = contract(a, "1950-05-05", AdministrativeGender.FEMALE);
        p2.team().getParticipant().remove(p2.participant("2"));
        ContractFixture p3 = contract(b, "1960-06-15", AdministrativeGender.MALE);
        p3.participant("2")
                .setPeriod(new Period()
                        .setStartElement(new DateTimeType("2019-05-01"))
                        .setEndElement(new DateTimeType("2025-06-30")));
        ContractFixture p6 = contract(a, "1990-01-01", AdministrativeGender.MALE);
        ContractFixture p7 = contract(b, "1945-03-03", AdministrativeGender.FEMALE);
        p7.addSip();
        ContractFixture p8 = contract(a, null, null);
        p8.patient().getIdentifierFirstRep().setValue(personnummer("19550707"));
        for (ContractFixture contract : List.of(p1, p2, p3, p6, p7, p8)) {
            store(contract);
        }
        String p4 = patient("p4-" + suffix, b);
        String p5 = patient("p5-" + suffix, null);

        Group group = MalgruppFixture.of(
                fhirContext,
                "Group/rub5-" + suffix,
                p1.patientId(),
                p2.patientId(),
                p3.patientId(),
                p4,
                p5,
                p6.patientId(),
                p7.patientId());
        Group.GroupMemberComponent left = group.getMember().get(5);
        left.setPeriod(new Period()
                        .setStartElement(new DateTimeType("2024-01-01"))
                        .setEndElement(new DateTimeType("2025-12-31")))
                .setInactive(true);
        group.setQuantity(6);
        putGroup(group);
        sabo1 = putGroup(
                sabo(MalgruppFixture.of(fhirContext, "Group/sabo1-" + suffix, p1.patientId(), p3.patientId())));
        sabo2 = putGroup(sabo(MalgruppFixture.of(fhirContext, "Group/sabo2-" + suffix, p7.patientId())));
        Group retiredGroup = kind(
                MalgruppFixture.of(fhirContext, "Group/retired-" + suffix, p1.patientId(), p2.patientId()),
                "65-plus",
                "65 år och äldre");
        retiredGroup.setActive(false);
        retired = putGroup(retiredGroup);
        rub5 = "Group/rub5-" + suffix;
        unitA = a;
        unitB = b;
    }

    @Test
    void membersWithoutAFastLakarkontaktPerHealthCentre() {
        MeasureReport report = evaluate("pk-malgrupp-utan-fast-lakarkontakt", "&subject=" + rub5);

        // Without: P2 (none), P3 (ended), P4, P5; with: P1, P7. P6 left the group.
        assertThat(whole(report)).isEqualTo(new Counts(6, 6, 4, "0.6667"));
        assertThat(stratum(report, unitA)).isEqualTo(new Counts(2, 2, 1, "0.5000"));
        assertThat(stratum(report, unitB)).isEqualTo(new Counts(3, 3, 2, "0.6667"));
        assertThat(stratum(report, "Ej listad (not listed)")).isEqualTo(new Counts(1, 1, 1, "1.0000"));
        assertThat(strata(report).getStratum()).hasSize(3);
        assertThat(report.getImprovementNotation().getCodingFirstRep().getCode())
                .isEqualTo("decrease");
    }

    @Test
    void membersWithAContractAndWithASip() {
        MeasureReport contracts = evaluate("pk-malgrupp-med-patientkontrakt", "&subject=" + rub5);
        // P1, P2, P3, P7 have a contract in 2026; P4, P5 none (P6 has one, but left).
        assertThat(whole(contracts)).isEqualTo(new Counts(6, 6, 4, "0.6667"));
        assertThat(stratum(contracts, unitA)).isEqualTo(new Counts(2, 2, 2, "1.0000"));
        assertThat(stratum(contracts, unitB)).isEqualTo(new Counts(3, 3, 2, "0.6667"));
        assertThat(stratum(contracts, "Ej listad (not listed)")).isEqualTo(new Counts(1, 1, 0, "0.0000"));

        MeasureReport sips = evaluate("pk-malgrupp-med-sip", "&subject=" + rub5);
        assertThat(whole(sips)).isEqualTo(new Counts(6, 6, 1, "0.1667"));
        assertThat(stratum(sips, unitA)).isEqualTo(new Counts(2, 2, 0, "0.0000"));
        assertThat(stratum(sips, unitB)).isEqualTo(new Counts(3, 3, 1, "0.3333"));
    }

    @Test
    void eachReportSaysWhenItsPopulationWasLoaded() {
        MeasureReport report = evaluate("pk-malgrupp-med-sip", "&subject=" + rub5);

        assertThat(report.getEvaluatedResource()).singleElement().satisfies(group -> {
            assertThat(group.getReference()).isEqualTo(rub5);
            assertThat(((DateTimeType) group.getExtensionByUrl(Vocabulary.POPULATION_LOADED)
                                    .getValue())
                            .getValueAsString())
                    .isEqualTo(LOADED);
        });
    }

    @Test
    void theListedPopulationAgainstTheTargetOf55Percent() {
        MeasureReport report = evaluate("pk-listade-med-fast-lakarkontakt", "");

        // A: P1, P2, P6, P8 listed, all but P2 with one; B: P3, P4, P7, only P7. P5 is listed nowhere.
        assertThat(stratum(report, unitA)).isEqualTo(new Counts(4, 4, 3, "0.7500"));
        assertThat(stratum(report, unitB)).isEqualTo(new Counts(3, 3, 1, "0.3333"));
        assertThat(delta(listedBefore, report)).isEqualTo(new Counts(7, 7, 4, null));
        assertThat(report.getEvaluatedResource()).isEmpty();
        Measure measure = read(FOLLOW_UP, "Measure/pk-listade-med-fast-lakarkontakt", Measure.class);
        assertThat(measure.getDescription()).contains("55 %", "Patient.generalPractitioner");
    }

    @Test
    void saboResidentsAgainstTheTargetOf80Percent() {
        MeasureReport report = evaluate("pk-sabo-med-fast-lakarkontakt", "&subject=" + sabo1);

        // P1 has a fast läkarkontakt, P3's ended.
        assertThat(whole(report)).isEqualTo(new Counts(2, 2, 1, "0.5000"));
        assertThat(stratum(report, unitA)).isEqualTo(new Counts(1, 1, 1, "1.0000"));
        assertThat(stratum(report, unitB)).isEqualTo(new Counts(1, 1, 0, "0.0000"));
    }

    @Test
    void whichGroupsGetContracts() {
        MeasureReport report = evaluate("pk-patientkontrakt-per-grupp", "");

        // Contracts in 2026: P1, P2, P3, P6, P7, P8.
        assertThat(delta(perGroupBefore, report).initialPopulation()).isEqualTo(6);
        // Ages on 2026-12-31: P1 86, P2 76, P3 66, P6 36, P7 81, P8 71 (by personnummer).
        assertThat(strataDelta("aldersgrupp", report))
                .containsEntry("85- år", 1)
                .containsEntry("75-84 år", 2)
                .containsEntry("65-74 år", 2)
                .containsEntry("18-64 år", 1);
        assertThat(strataDelta("kon", report))
                .containsEntry("female", 3)
                .containsEntry("male", 2)
                .containsEntry("Kön saknas (no sex recorded)", 1);
        // RUB 5: P1, P2, P3, P7 (P6 left); SÄBO 1: P1, P3; SÄBO 2: P7.
        assertThat(strataCount(report, "malgrupp", rub5)).isEqualTo(4);
        assertThat(strataCount(report, "malgrupp", sabo1)).isEqualTo(2);
        assertThat(strataCount(report, "malgrupp", sabo2)).isEqualTo(1);
        assertThat(report.getEvaluatedResource())
                .extracting(Reference::getReference)
                .contains(rub5, sabo1, sabo2)
                .doesNotContain(retired);
        assertThat(strataCount(report, "malgrupp", retired)).isZero();
        assertThat(report.getEvaluatedResource())
                .allSatisfy(group -> assertThat(group.hasExtension(Vocabulary.POPULATION_LOADED))
                        .isTrue());
    }

    @Test
    void aTargetGroupNeverLoadedIs422NotZero() {
        Response response = as(FOLLOW_UP)
                .when()
                .get("/Measure/pk-malgrupp-utan-fast-lakarkontakt/$evaluate-measure?" + PERIOD
                        + "&subject=Group/never-loaded-" + System.nanoTime());

        response.then().statusCode(422);
        assertThat(diagnostics(response)).contains("was never loaded").doesNotContain("Exception");
    }

    @Test
    void aRetiredTargetGroupIs422ByNameAndByKind() {
        Response named = as(FOLLOW_UP)
                .when()
                .get("/Measure/pk-malgrupp-med-patientkontrakt/$evaluate-measure?" + PERIOD + "&subject=" + retired);
        named.then().statusCode(422);
        assertThat(diagnostics(named))
                .contains(retired + " is no longer in use (Group.active = false)")
                .doesNotContain("Exception");

        Response byKind = as(FOLLOW_UP)
                .when()
                .get("/Measure/pk-malgrupp-med-patientkontrakt/$evaluate-measure?" + PERIOD + "&targetGroup=65-plus");
        byKind.then().statusCode(422);
        assertThat(diagnostics(byKind)).contains("No target group of kind 65-plus is in use");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = ';',
            value = {
                "pk-malgrupp-med-sip; ; subject=Group/{id} or targetGroup",
                "pk-malgrupp-med-sip; &subject=Patient/x; must name a target group as Group/{id}",
                "pk-malgrupp-med-sip; &targetGroup=rub-9; is not a kind of target group",
                "pk-malgrupp-med-sip; &targetGroup=sabo&subject=Group/x; not both",
                "pk-sabo-med-fast-lakarkontakt; &targetGroup=sabo; Several target groups are of kind sabo",
                "pk-listade-med-fast-lakarkontakt; &subject=Group/x; takes no subject",
                "pk-antal-patientkontrakt; &subject=Group/x; apply only to the population measures"
            })
    void badParametersAre400(String measure, String query, String message) {
        Response response = as(FOLLOW_UP)
                .when()
                .get("/Measure/" + measure + "/$evaluate-measure?" + PERIOD + (query == null ? "" : query));

        response.then().statusCode(400);
        assertThat(diagnostics(response)).contains(message);
    }

    @Test
    void aSaboMeasureOverAnotherKindIs400() {
        Response response = as(FOLLOW_UP)
                .when()
                .get("/Measure/pk-sabo-med-fast-lakarkontakt/$evaluate-measure?" + PERIOD + "&subject=" + rub5);

        response.then().statusCode(400);
        assertThat(diagnostics(response)).contains("is not of kind sabo");
    }

    @Test
    void theReportAsCsvNamesTheStratifierTheGroupAndWhenItWasLoaded() {
        Response response = as(FOLLOW_UP)
                .when()
                .get("/Measure/pk-malgrupp-utan-fast-lakarkontakt/$evaluate-measure?" + PERIOD + "&subject=" + rub5
                        + "&_format=text/csv");

        response.then().statusCode(200).contentType(startsWith("text/csv"));
        List<String> lines = response.asString().lines().toList();
        assertThat(lines.get(0))
                .isEqualTo("measure,period_start,period_end,stratum,unit_hsa_id,unit_name,"
                        + "initial_population,denominator,numerator,score,stratifier,target_group,population_loaded");
        String measure =
                "https://patientkontrakt.se/fhir/Measure/pk-malgrupp-utan-fast-lakarkontakt,2026-01-01,2026-12-31,";
        String group = rub5 + "," + LOADED;
        assertThat(lines.get(1)).isEqualTo(measure + "region,,Hela regionen (whole region),6,6,4,0.6667,," + group);
        assertThat(lines)
                .contains(measure + "Ej listad (not listed),,,1,1,1,1.0000,listning," + group)
                .anySatisfy(line -> assertThat(line)
                        .startsWith(measure + unitA + ",SE2321000073-VA")
                        .endsWith(",2,2,1,0.5000,listning," + group));
    }

    @ParameterizedTest
    @ValueSource(strings = {"care user", "EHR system", "region-wide without Group scope"})
    void onlyRegionWideClientsThatReadGroupsEvaluateThem(String who) {
        String token =
                switch (who) {
                    case "care user" -> TestTokens.practitioner("user/*.read");
                    case "EHR system" -> EHR;
                    default -> TestTokens.regionWide("system/CarePlan.rs system/Patient.rs");
                };
        for (String measure : MEASURES) {
            for (String subject : List.of("", "&subject=" + rub5, "&subject=Group/never-loaded")) {
                Response response =
                        as(token).when().get("/Measure/" + measure + "/$evaluate-measure?" + PERIOD + subject);

                response.then().statusCode(403);
                assertThat(diagnostics(response)).as(who).contains("region-wide clients");
                assertThat(response.asString()).doesNotContain("\"count\"", "measureScore");
            }
        }
        // The contract measures still answer the care user, for its own care giver.
        as(TestTokens.practitioner("user/CarePlan.rs"))
                .when()
                .get("/Measure/pk-antal-patientkontrakt/$evaluate-measure?" + PERIOD)
                .then()
                .statusCode(200);
    }

    @Test
    void theMeasuresAndTheirParametersArePublished() {
        for (String id : MEASURES) {
            Measure measure = read(FOLLOW_UP, "Measure/" + id, Measure.class);
            assertThat(measure.getDescription()).isNotBlank();
            assertThat(measure.getGroupFirstRep().getPopulation()).isNotEmpty();
            assertThat(measure.getGroupFirstRep().getStratifier()).isNotEmpty();
        }
        OperationDefinition definition =
                read(FOLLOW_UP, "OperationDefinition/pk-evaluate-measure", OperationDefinition.class);
        assertThat(definition.getParameter())
                .extracting(OperationDefinition.OperationDefinitionParameterComponent::getName)
                .contains("subject", "targetGroup");
        assertThat(read(FOLLOW_UP, "Measure/pk-sabo-med-fast-lakarkontakt", Measure.class)
                        .getDescription())
                .contains("80 %");
    }

    // --- the population

    private String healthCentre(String id, String name, String hsaId) {
        Organization unit = new Organization();
        unit.setId(id);
        unit.addIdentifier().setSystem(SwedishIdentifiers.HSA_ID).setValue(hsaId);
        unit.setName(name);
        unit.setActive(true);
        unit.setText(narrative(name));
        as(EHR).body(json(unit)).when().put("/Organization/" + id).then().statusCode(201);
        return "Organization/" + id;
    }

    private ContractFixture contract(String listedAt, String born, AdministrativeGender sex) {
        ContractFixture contract = ContractFixture.create(fhirContext);
        Patient patient = contract.patient();
        patient.addGeneralPractitioner(new Reference(listedAt));
        patient.setGender(sex);
        if (born != null) {
            patient.setBirthDateElement(new DateType(born));
            patient.getIdentifierFirstRep().setValue(personnummer(born.replace("-", "")));
        }
        contract.contract().setPeriod(new Period().setStartElement(new DateTimeType("2026-01-15")));
        return contract;
    }

    private String patient(String id, String listedAt) {
        Patient patient = new Patient();
        patient.setId(id);
        patient.addIdentifier().setSystem(SwedishIdentifiers.PERSONNUMMER).setValue(ContractFixture.personnummer());
        patient.addName().setFamily("Lind").addGiven("Ingrid");
        patient.setText(narrative("Ingrid Lind"));
        if (listedAt != null) {
            patient.addGeneralPractitioner(new Reference(listedAt));
        }
        as(EHR).body(json(patient)).when().put("/Patient/" + id).then().statusCode(201);
        return "Patient/" + id;
    }

    private static Group sabo(Group group) {
        return kind(group, "sabo", "Bor på särskilt boende för äldre (SÄBO)");
    }

    private static Group kind(Group group, String code, String display) {
        Coding kind = new Coding(Vocabulary.MALGRUPP_TYP, code, display);
        group.setCode(new CodeableConcept(kind));
        group.getCharacteristicFirstRep().setCode(new CodeableConcept(kind.copy()));
        group.setName(display + " " + group.getIdElement().getIdPart());
        return group;
    }

    private String putGroup(Group group) {
        String path = "/" + group.getIdElement().getValue();
        as(FOLLOW_UP).body(json(group)).when().put(path).then().statusCode(201);
        return path.substring(1);
    }

    private static String personnummer(String birthDate) {
        String nineDigits = birthDate.substring(2)
                + String.format("%03d", ThreadLocalRandom.current().nextInt(1000));
        return birthDate.substring(0, 2) + nineDigits + SwedishIdentifiers.luhnCheckDigit(nineDigits);
    }

    private static Narrative narrative(String text) {
        Narrative narrative = new Narrative().setStatus(Narrative.NarrativeStatus.GENERATED);
        narrative.setDivAsString("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>" + text + "</p></div>");
        return narrative;
    }

    // --- reading reports

    /** The report, or null when the server refused the request with 400. */
    private MeasureReport evaluate(String measure, String parameters) {
        Response response =
                as(FOLLOW_UP).when().get("/Measure/" + measure + "/$evaluate-measure?" + PERIOD + parameters);
        if (response.statusCode() == 400) {
            return null;
        }
        response.then().statusCode(200);
        return parse(response, MeasureReport.class);
    }

    private record Counts(Integer initialPopulation, Integer denominator, Integer numerator, String score) {}

    private static Counts whole(MeasureReport report) {
        MeasureReport.MeasureReportGroupComponent group = report.getGroupFirstRep();
        Map<String, Integer> byCode = new HashMap<>();
        group.getPopulation()
                .forEach(p -> byCode.put(p.getCode().getCodingFirstRep().getCode(), p.getCount()));
        return new Counts(
                byCode.get("initial-population"),
                byCode.get("denominator"),
                byCode.get("numerator"),
                group.hasMeasureScore() ? score(group.getMeasureScore().getValue()) : null);
    }

    private static MeasureReportGroupStratifierComponent strata(MeasureReport report) {
        return report.getGroupFirstRep().getStratifierFirstRep();
    }

    /** The stratum of a health centre (by reference) or with the given text. */
    private static Counts stratum(MeasureReport report, String text) {
        StratifierGroupComponent stratum = strata(report).getStratum().stream()
                .filter(s -> text.equals(s.getValue().getText()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no stratum " + text));
        Map<String, Integer> byCode = new HashMap<>();
        stratum.getPopulation()
                .forEach(p -> byCode.put(p.getCode().getCodingFirstRep().getCode(), p.getCount()));
        return new Counts(
                byCode.get("initial-population"),
                byCode.get("denominator"),
                byCode.get("numerator"),
                stratum.hasMeasureScore() ? score(stratum.getMeasureScore().getValue()) : null);
    }

    private static String score(BigDecimal value) {
        return value.setScale(4).toPlainString();
    }

    private static Counts delta(MeasureReport before, MeasureReport after) {
        Counts a = whole(after);
        Counts b = whole(before);
        return new Counts(
                a.initialPopulation() - b.initialPopulation(),
                a.denominator() == null ? null : a.denominator() - b.denominator(),
                a.numerator() == null ? null : a.numerator() - b.numerator(),
                null);
    }

    private static Map<String, Integer> strataCounts(String stratifier, MeasureReport report) {
        Map<String, Integer> counts = new HashMap<>();
        report.getGroupFirstRep().getStratifier().stream()
                .filter(s -> stratifier.equals(s.getCodeFirstRep().getText()))
                .flatMap(s -> s.getStratum().stream())
                .forEach(s -> counts.put(
                        s.getValue().getText(), s.getPopulationFirstRep().getCount()));
        return counts;
    }

    private static Map<String, Integer> strataDelta(String stratifier, MeasureReport after) {
        Map<String, Integer> before = strataCounts(stratifier, perGroupBefore);
        Map<String, Integer> delta = new HashMap<>();
        strataCounts(stratifier, after).forEach((k, v) -> delta.put(k, v - before.getOrDefault(k, 0)));
        return delta;
    }

    private static int strataCount(MeasureReport report, String stratifier, String stratum) {
        return strataCounts(stratifier, report).getOrDefault(stratum, 0);
    }
}
