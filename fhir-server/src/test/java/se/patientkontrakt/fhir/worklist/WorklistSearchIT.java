package se.patientkontrakt.fhir.worklist;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.SearchEntryMode;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestResourceComponent;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.SearchParameter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.FhirIT;

/**
 * The care work lists: the search parameters shipped in {@code profiles/} over contracts made for
 * this class, so that every filter is shown both to match and to leave out. Each query is also
 * narrowed to this class's own unit, since other tests store contracts too.
 *
 * <p>The contracts (all in unit A unless said, all active unless said):
 *
 * <ul>
 *   <li>overdue: open next step promised 2026-11-10; fast vårdkontakt role X, fast läkarkontakt
 *       role Y;
 *   <li>soon: open next step promised 2026-11-20;
 *   <li>later: open next step promised 2027-02-01; fast vårdkontakt role Y;
 *   <li>done: every next step completed (the example's dates, 2026-10-23 and 2026-11-16);
 *   <li>ended: status completed, open next step promised 2026-11-05;
 *   <li>elsewhere: unit B, open next step promised 2026-11-01.
 * </ul>
 */
class WorklistSearchIT extends FhirIT {

    private static Contracts contracts;

    private record Contracts(
            ContractFixture overdue,
            ContractFixture soon,
            ContractFixture later,
            ContractFixture done,
            ContractFixture ended,
            ContractFixture elsewhere) {
        String unitA() {
            return overdue.unitId();
        }

        String roleX() {
            return overdue.careContactRoleId();
        }

        String roleY() {
            return overdue.gpRoleId();
        }
    }

    @BeforeEach
    void storeContractsOnce() {
        if (contracts != null) {
            return;
        }
        ContractFixture overdue = ContractFixture.create(fhirContext).nextStepDue("2026-11-10");
        String unitA = overdue.unitId();
        Contracts made = new Contracts(
                overdue,
                ContractFixture.create(fhirContext).nextStepDue("2026-11-20").managedBy(unitA),
                ContractFixture.create(fhirContext)
                        .nextStepDue("2027-02-01")
                        .managedBy(unitA)
                        .fixedContact("1", overdue.gpRoleId()),
                ContractFixture.create(fhirContext).nextStepsDone().managedBy(unitA),
                ContractFixture.create(fhirContext)
                        .nextStepDue("2026-11-05")
                        .status(CarePlan.CarePlanStatus.COMPLETED)
                        .managedBy(unitA),
                ContractFixture.create(fhirContext).nextStepDue("2026-11-01"));
        for (ContractFixture contract :
                List.of(made.overdue, made.soon, made.later, made.done, made.ended, made.elsewhere)) {
            fhir(contract.transaction()).when().post("/").then().statusCode(200);
        }
        contracts = made;
    }

    private Bundle search(String query) {
        return read("/CarePlan?" + query, Bundle.class);
    }

    private static List<String> matches(Bundle bundle) {
        return ids(bundle, SearchEntryMode.MATCH);
    }

    private String inUnitA() {
        return "&care-team.managing-organization=" + contracts.unitA();
    }

    @Test
    void overdueWorkListHoldsOpenPromisesBeforeTheDateOfActiveContractsSoonestFirst() {
        Bundle overdue = search("next-step-due=lt2026-12-01&status=active&_sort=next-step-due" + inUnitA());

        assertThat(matches(overdue)).containsExactly(contracts.overdue.contractId(), contracts.soon.contractId());
    }

    @Test
    void sortingByTheDateDescendingReversesTheList() {
        Bundle all = search("next-step-due=lt2028-01-01&status=active&_sort=-next-step-due" + inUnitA());

        assertThat(matches(all))
                .containsExactly(
                        contracts.later.contractId(), contracts.soon.contractId(), contracts.overdue.contractId());
    }

    @Test
    void aDoneNextStepIsNoLongerDue() {
        Bundle due = search("next-step-due=le2026-11-16" + inUnitA());

        assertThat(matches(due))
                .contains(contracts.overdue.contractId(), contracts.ended.contractId())
                .doesNotContain(contracts.done.contractId());
    }

    @Test
    void workListByFastVardkontaktRole() {
        assertThat(matches(search("care-team.fast-vardkontakt=" + contracts.roleX())))
                .containsExactly(contracts.overdue.contractId());
        assertThat(matches(search("care-team.fast-vardkontakt=" + contracts.roleY())))
                .containsExactly(contracts.later.contractId());
    }

    @Test
    void workListByFastLakarkontaktIsSeparateFromFastVardkontakt() {
        assertThat(matches(search("care-team.fast-lakarkontakt=" + contracts.roleY())))
                .containsExactly(contracts.overdue.contractId());
        assertThat(matches(search("care-team.fast-lakarkontakt=" + contracts.roleX())))
                .isEmpty();
    }

    @Test
    void workListByThePractitionerBehindTheRole() {
        Bundle bundle = search("care-team.fast-vardkontakt:PractitionerRole.practitioner="
                + contracts.overdue.careContactPractitionerId());

        assertThat(matches(bundle)).containsExactly(contracts.overdue.contractId());
    }

    @Test
    void workListByResponsibleUnit() {
        assertThat(matches(search("care-team.managing-organization=" + contracts.elsewhere.unitId())))
                .containsExactly(contracts.elsewhere.contractId());
        assertThat(matches(search("status=active" + inUnitA())))
                .containsExactlyInAnyOrder(
                        contracts.overdue.contractId(),
                        contracts.soon.contractId(),
                        contracts.later.contractId(),
                        contracts.done.contractId());
    }

    @ParameterizedTest
    @ValueSource(strings = {"subject:Patient.identifier", "patient.identifier"})
    void contractsByPersonnummerInOneCall(String parameter) {
        Bundle bundle = search(parameter + "=" + "http://electronichealth.se/identifier/personnummer|"
                + contracts.later.personnummerValue());

        assertThat(matches(bundle)).containsExactly(contracts.later.contractId());
    }

    @Test
    void includesRenderTheWorkListFromOneResponse() {
        Bundle bundle = search("next-step-due=lt2026-12-01&status=active" + inUnitA()
                + "&_include=CarePlan:subject&_include=CarePlan:care-team"
                + "&_include:iterate=CareTeam:participant&_include:iterate=PractitionerRole:practitioner");

        assertThat(ids(bundle, SearchEntryMode.INCLUDE))
                .contains(
                        contracts.overdue.patientId(),
                        contracts.overdue.teamId(),
                        contracts.overdue.careContactRoleId(),
                        contracts.overdue.gpRoleId(),
                        contracts.overdue.careContactPractitionerId(),
                        contracts.soon.patientId(),
                        contracts.soon.teamId())
                .doesNotContain(contracts.later.patientId(), contracts.elsewhere.patientId())
                .doesNotHaveDuplicates();
    }

    @Test
    void theWorkListPages() {
        String query =
                "next-step-due=lt2028-01-01&status=active&_sort=next-step-due&_count=2&_total=accurate" + inUnitA();
        Bundle first = search(query);

        assertThat(first.getTotal()).isEqualTo(3);
        assertThat(matches(first)).containsExactly(contracts.overdue.contractId(), contracts.soon.contractId());
        String next = first.getLink("next").getUrl();
        Bundle second =
                parse(fhir().when().get(next).then().statusCode(200).extract().response(), Bundle.class);
        assertThat(matches(second)).containsExactly(contracts.later.contractId());
        assertThat(second.getLink("next")).isNull();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "next-step-due=not-a-date",
                "next-step-due=lt2026-13-45",
                "_sort=promised-date",
                "care-team.no-such-parameter=x",
                "nasta-steg=2026-12-01"
            })
    void aBadWorkListQueryIs400WithAnOperationOutcome(String query) {
        Response response = fhir().when().get("/CarePlan?" + query);

        response.then().statusCode(400);
        assertThat(diagnostics(response)).isNotBlank().doesNotContain("Exception");
    }

    @Test
    void theSearchParametersArePublishedAndListedInTheCapabilityStatement() {
        SearchParameter nextStepDue = read("/SearchParameter/pk-next-step-due", SearchParameter.class);
        assertThat(nextStepDue.getCode()).isEqualTo("next-step-due");

        CapabilityStatement capabilities = read("/metadata", CapabilityStatement.class);
        assertThat(searchParams(capabilities, "CarePlan")).contains("next-step-due", "follow-up-due");
        assertThat(searchParams(capabilities, "CareTeam"))
                .contains("fast-vardkontakt", "fast-lakarkontakt", "managing-organization");
    }

    private static List<String> searchParams(CapabilityStatement capabilities, String type) {
        CapabilityStatementRestResourceComponent resource = capabilities.getRestFirstRep().getResource().stream()
                .filter(r -> r.getType().equals(type))
                .findFirst()
                .orElseThrow();
        return resource.getSearchParam().stream()
                .map(CapabilityStatement.CapabilityStatementRestResourceSearchParamComponent::getName)
                .toList();
    }
}
