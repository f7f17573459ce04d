package se.patientkontrakt.fhir.hapi;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.jpa.dao.SearchBuilderFactory;
import ca.uhn.fhir.jpa.model.dao.JpaPid;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.SearchEntryMode;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CarePlan.CarePlanActivityDetailComponent;
import org.hl7.fhir.r4.model.CarePlan.CarePlanActivityStatus;
import org.hl7.fhir.r4.model.DateTimeType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.FhirIT;
import se.patientkontrakt.fhir.contract.Owner;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * The overdue work list answered by walking the next-step index ({@link OverdueWorklistQuery})
 * gives what HAPI's generic search gives: the same contracts, in the same order of promised date,
 * over every page. The generic answer is had by adding {@code _lastUpdated=gt2000-01-01}, true of
 * every contract, which leaves the search to HAPI.
 *
 * <p>The contracts made here (besides whatever other tests stored) cover the edges: two due the
 * same day, one due exactly on the bound, one with two open next steps (one before the bound, one
 * long after), one completed, one on hold and one deleted, and three owned by two care givers
 * (owner labels), which a care user's work list is narrowed to ({@code _security}).
 */
class OverdueWorklistQueryIT extends FhirIT {

    private static final String GENERIC = "&_lastUpdated=gt2000-01-01";
    private static final String OWNER = Vocabulary.OWNER_CARE_GIVER;
    private static final String UNIT = Vocabulary.OWNER_CARE_UNIT;
    /** Care givers of this run's contracts only (the database may hold earlier runs'). */
    private static final String RUN = Long.toString(System.nanoTime(), 36);

    private static final String GIVER_A = "SE2321000032-" + RUN;
    private static final String GIVER_B = "SE2321000016-" + RUN;
    private static final String UNIT_A2 = "SE2321000032-a2-" + RUN;
    private static boolean stored;

    @Autowired
    private SearchBuilderFactory<JpaPid> searchBuilders;

    @BeforeEach
    void storeContractsOnce() {
        if (stored) {
            return;
        }
        List<ContractFixture> contracts = new ArrayList<>(List.of(
                ContractFixture.create(fhirContext).nextStepDue("2026-11-10"),
                ContractFixture.create(fhirContext).nextStepDue("2026-11-10"),
                ContractFixture.create(fhirContext).nextStepDue("2026-11-23"),
                twoOpenNextSteps("2026-11-12", "2027-03-01"),
                ContractFixture.create(fhirContext).nextStepDue("2026-11-05").status(CarePlan.CarePlanStatus.COMPLETED),
                ContractFixture.create(fhirContext).nextStepDue("2026-11-07").status(CarePlan.CarePlanStatus.ONHOLD)));
        contracts.add(
                ownedBy(ContractFixture.create(fhirContext).nextStepDue("2026-11-08"), GIVER_A, "SE2321000032-a1"));
        contracts.add(ownedBy(ContractFixture.create(fhirContext).nextStepDue("2026-11-09"), GIVER_A, UNIT_A2));
        contracts.add(
                ownedBy(ContractFixture.create(fhirContext).nextStepDue("2026-11-09"), GIVER_B, "SE2321000016-b1"));
        ContractFixture deleted = ContractFixture.create(fhirContext).nextStepDue("2026-11-06");
        contracts.add(deleted);
        for (ContractFixture contract : contracts) {
            fhir(contract.transaction()).when().post("/").then().statusCode(200);
        }
        fhir().when().delete("/" + deleted.contractId()).then().statusCode(200);
        stored = true;
    }

    private static ContractFixture ownedBy(ContractFixture contract, String careGiver, String unit) {
        new Owner(careGiver, unit).labelOnto(contract.contract());
        return contract;
    }

    private ContractFixture twoOpenNextSteps(String first, String second) {
        ContractFixture contract = ContractFixture.create(fhirContext).nextStepDue(second);
        CarePlanActivityDetailComponent other = contract.nextSteps().get(0);
        other.getScheduledPeriod().setStartElement(null).setEndElement(new DateTimeType(first));
        other.setStatus(CarePlanActivityStatus.SCHEDULED);
        return contract;
    }

    @Test
    void everyCarePlanSearchGoesThroughTheWorkListBuilder() {
        assertThat(searchBuilders.newSearchBuilder("CarePlan", CarePlan.class))
                .isInstanceOf(WorklistSearchBuilder.class);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "next-step-due=lt2026-11-23&status=active&_sort=next-step-due",
                "next-step-due=le2026-11-23&status=active&_sort=next-step-due",
                "next-step-due=lt2026-12-01&status=active,on-hold&_sort=next-step-due",
                "next-step-due=le2026-11-10&_sort=next-step-due",
                "next-step-due=lt2030-01-01&status=active&_sort=next-step-due",
                // a care user's work list under Patientdatalagen: narrowed to their care giver's data
                "next-step-due=lt2026-11-23&status=active&_sort=next-step-due&_security={owner}|{A}",
                "next-step-due=lt2026-11-23&status=active&_sort=next-step-due&_security={owner}|{A},{owner}|{B}",
                "next-step-due=lt2026-11-23&_sort=next-step-due&_security={owner}|{A}&_security={unit}|{A2}",
                "next-step-due=lt2026-11-23&status=active&_sort=next-step-due&_security={owner}|SE-never-given"
            })
    void theWalkGivesHapisAnswerInHapisOrderOverEveryPage(String asked) {
        String query = asked.replace("{owner}", OWNER)
                .replace("{unit}", UNIT)
                .replace("{A2}", UNIT_A2)
                .replace("{A}", GIVER_A)
                .replace("{B}", GIVER_B);
        List<CarePlan> walked = allPages("/CarePlan?" + query + "&_count=7");
        List<CarePlan> generic = allPages("/CarePlan?" + query + GENERIC + "&_count=7");

        assertThat(ids(walked)).containsExactlyInAnyOrderElementsOf(ids(generic));
        assertThat(walked).extracting(OverdueWorklistQueryIT::sortKey).isSorted();
        assertThat(walked)
                .extracting(OverdueWorklistQueryIT::sortKey)
                .containsExactlyElementsOf(
                        generic.stream().map(OverdueWorklistQueryIT::sortKey).toList());
    }

    @Test
    void theNarrowingToACareGiverKeepsExactlyItsContracts() {
        List<CarePlan> careGiverA = allPages("/CarePlan?next-step-due=lt2026-11-23&status=active"
                + "&_sort=next-step-due&_security=" + OWNER + "|" + GIVER_A);

        assertThat(careGiverA).extracting(OverdueWorklistQueryIT::sortKey).containsExactly("2026-11-08", "2026-11-09");
        assertThat(careGiverA).allMatch(plan -> Owner.of(plan)
                .map(Owner::careGiver)
                .filter(GIVER_A::equals)
                .isPresent());
    }

    @Test
    void aContractIsListedOnceByItsEarliestOpenPromiseAndTheBoundIsKept() {
        List<CarePlan> overdue = allPages("/CarePlan?next-step-due=lt2026-11-23&status=active&_sort=next-step-due");

        assertThat(overdue)
                .extracting(OverdueWorklistQueryIT::sortKey)
                .allMatch(key -> key.compareTo("2026-11-23") < 0);
        assertThat(ids(overdue)).doesNotHaveDuplicates();
        assertThat(overdue)
                .filteredOn(plan -> openDueDates(plan).contains("2027-03-01"))
                .isNotEmpty()
                .allMatch(plan -> sortKey(plan).equals("2026-11-12"));
        assertThat(overdue).allMatch(plan -> plan.getStatus() == CarePlan.CarePlanStatus.ACTIVE);
    }

    @Test
    void theFirstPageOfTheOverdueListWithItsPatientsRendersFromOneResponse() {
        Bundle page = read(
                "/CarePlan?next-step-due=lt2026-11-23&status=active&_sort=next-step-due&_count=3"
                        + "&_include=CarePlan:subject",
                Bundle.class);

        assertThat(ids(page, SearchEntryMode.MATCH)).hasSize(3);
        assertThat(ids(page, SearchEntryMode.INCLUDE)).isNotEmpty().allMatch(id -> id.startsWith("Patient/"));
        assertThat(page.getLink("next")).isNotNull();
    }

    private List<CarePlan> allPages(String first) {
        List<CarePlan> plans = new ArrayList<>();
        Bundle page = read(first, Bundle.class);
        while (true) {
            page.getEntry().stream()
                    .filter(e -> e.getSearch().getMode() == SearchEntryMode.MATCH)
                    .forEach(e -> plans.add((CarePlan) e.getResource()));
            if (page.getLink("next") == null) {
                return plans;
            }
            page = parse(
                    fhir().when()
                            .get(page.getLink("next").getUrl())
                            .then()
                            .statusCode(200)
                            .extract()
                            .response(),
                    Bundle.class);
        }
    }

    private static List<String> ids(List<CarePlan> plans) {
        return plans.stream()
                .map(p -> p.getIdElement().toUnqualifiedVersionless().getValue())
                .toList();
    }

    private static List<String> openDueDates(CarePlan plan) {
        return plan.getActivity().stream()
                .map(CarePlan.CarePlanActivityComponent::getDetail)
                .filter(d -> d.getCode().hasCoding(Vocabulary.ACTIVITY_KIND, "next-step"))
                .filter(d -> d.getStatus() != CarePlanActivityStatus.COMPLETED
                        && d.getStatus() != CarePlanActivityStatus.CANCELLED
                        && d.getStatus() != CarePlanActivityStatus.STOPPED
                        && d.getStatus() != CarePlanActivityStatus.ENTEREDINERROR)
                .filter(d -> d.hasScheduledPeriod() && d.getScheduledPeriod().hasEnd())
                .map(d -> d.getScheduledPeriod().getEndElement().getValueAsString())
                .toList();
    }

    /** What an ascending sort on next-step-due orders by: the earliest open promise. */
    private static String sortKey(CarePlan plan) {
        return openDueDates(plan).stream().min(Comparator.naturalOrder()).orElse("");
    }
}
