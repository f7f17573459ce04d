package se.patientkontrakt.fhir.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.Annotation;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.CarePlan.CarePlanActivityDetailComponent;
import org.hl7.fhir.r4.model.CarePlan.CarePlanActivityStatus;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.StringType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import se.patientkontrakt.fhir.ContractFixture;
import se.patientkontrakt.fhir.FhirIT;

/**
 * The patient's agreement is bound to the version they agreed to, and the contract waits for their
 * agreement again exactly when care changes a promise: a responsibility, what to do if things get
 * worse, the next step, the care team or its contacts. Each change below is made to a contract the
 * patient has just agreed to (version 2, agreeing to version 1).
 */
class AgreementVersionIT extends FhirIT {

    private static final String JSON_PATCH = "application/json-patch+json";

    static Stream<Arguments> changesThatKeepTheAgreement() {
        return Stream.of(
                change("a note on the contract", plan -> plan.addNote(new Annotation().setText("Ringde, allt väl."))),
                change("a progress note on care's action", plan -> plan.getActivity().stream()
                        .filter(a ->
                                a.getDetail().getCode().hasCoding(ContractFixture.ACTIVITY_KIND, "care-responsibility"))
                        .findFirst()
                        .orElseThrow()
                        .addProgress(new Annotation().setText("Första besöket gjort"))),
                change("the next step completed", plan -> openNextStep(plan)
                        .setStatus(CarePlanActivityStatus.COMPLETED)),
                change("the completed next step removed", plan -> plan.getActivity()
                        .removeIf(a -> a.getDetail().getCode().hasCoding(ContractFixture.ACTIVITY_KIND, "next-step")
                                && a.getDetail().getStatus() == CarePlanActivityStatus.COMPLETED)),
                change(
                        "care's action put on hold",
                        plan -> kind(plan, "care-responsibility").get(0).setStatus(CarePlanActivityStatus.ONHOLD)),
                change("the title", plan -> plan.setTitle("Görans kontrakt")),
                change("the follow-up date", plan -> kind(plan, "follow-up")
                        .get(0)
                        .setScheduled(new Period().setEndElement(new DateTimeType("2027-06-30")))),
                change("the activities in another order", plan -> {
                    var first = plan.getActivity().remove(0);
                    plan.getActivity().add(first);
                }),
                change("a pending flag the client sends", plan -> {
                    plan.addNote(new Annotation().setText("Pratade i telefon."));
                    Agreement.setPending(plan, true);
                }));
    }

    static Stream<Arguments> changesThatWaitForANewAgreement() {
        return Stream.of(
                change("the patient's own action reworded", plan -> kind(plan, Vocabulary.PATIENT_RESPONSIBILITY)
                        .get(0)
                        .setDescription("Promenera en halvtimme varje dag.")),
                change("care's action given to someone else", (contract, plan) -> kind(plan, "care-responsibility")
                        .get(0)
                        .setPerformer(List.of(new Reference(contract.gpRoleId())))),
                change(
                        "what to do if things get worse",
                        plan -> kind(plan, "escalation").get(0).setDescription("Ring 1177 om smärtan ökar.")),
                change("the next step moved to another date", plan -> openNextStep(plan)
                        .setScheduled(new Period().setEndElement(new DateTimeType("2027-03-01")))),
                change("a new next step", (contract, plan) -> plan.addActivity()
                        .getDetail()
                        .setCode(kindCode("next-step"))
                        .setStatus(CarePlanActivityStatus.SCHEDULED)
                        .setDescription("Återbesök hos fysioterapeuten")
                        .addPerformer(new Reference(contract.careContactRoleId()))
                        .setScheduled(new Period()
                                .setStartElement(new DateTimeType("2027-01-20"))
                                .setEndElement(new DateTimeType("2027-02-01")))),
                change(
                        "care's action cancelled",
                        plan -> kind(plan, "care-responsibility").get(0).setStatus(CarePlanActivityStatus.CANCELLED)),
                change("care's action removed", plan -> plan.getActivity()
                        .remove(plan.getActivity().stream()
                                .filter(a -> a.getDetail()
                                        .getCode()
                                        .hasCoding(ContractFixture.ACTIVITY_KIND, "care-responsibility"))
                                .findFirst()
                                .orElseThrow())),
                change("the agreement removed", plan -> plan.getExtension()
                        .removeIf(e -> e.getUrl().equals(Vocabulary.PATIENT_AGREEMENT))),
                change("a pending flag the client clears with the change", plan -> {
                    kind(plan, "escalation").get(0).setDescription("Ring vårdcentralen.");
                    Agreement.setPending(plan, false);
                }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("changesThatKeepTheAgreement")
    void aChangeThatAltersNoPromiseKeepsTheAgreement(String what, BiConsumer<ContractFixture, CarePlan> change) {
        ContractFixture contract = agreedContract();

        CarePlan changed = put(contract, plan -> change.accept(contract, plan));

        assertThat(changed.getMeta().getVersionId()).isEqualTo("3");
        assertThat(Agreement.isPending(changed)).as(what).isFalse();
        assertThat(Agreement.agreedVersion(changed)).contains("1");
        assertThat(pendingContracts(contract)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("changesThatWaitForANewAgreement")
    void aChangedPromiseWaitsForANewAgreement(String what, BiConsumer<ContractFixture, CarePlan> change) {
        ContractFixture contract = agreedContract();

        CarePlan changed = put(contract, plan -> change.accept(contract, plan));

        assertThat(Agreement.isPending(changed)).as(what).isTrue();
        assertThat(pendingContracts(contract)).containsExactly(contract.contractId());
    }

    @Test
    void aNewContractWaitsUntilThePatientAgreesAndTheAgreementNamesTheVersionTheyRead() {
        ContractFixture contract = notAgreedContract();
        assertThat(Agreement.isPending(stored(contract))).isTrue();
        assertThat(pendingContracts(contract)).containsExactly(contract.contractId());

        agree(contract, "1", "2026-11-23T10:15:00+01:00").then().statusCode(200);

        CarePlan agreed = stored(contract);
        assertThat(agreed.getMeta().getVersionId()).isEqualTo("2");
        assertThat(Agreement.agreedVersion(agreed)).contains("1");
        assertThat(Agreement.isPending(agreed)).isFalse();
        assertThat(pendingContracts(contract)).isEmpty();
        assertThat(contracts(contract, "false")).containsExactly(contract.contractId());
    }

    @Test
    void namingAnotherCareTeamWaitsForANewAgreement() {
        ContractFixture contract = agreedContract();
        ContractFixture other = notAgreedContract();

        CarePlan changed = put(contract, plan -> plan.getCareTeamFirstRep().setReference(other.teamId()));

        assertThat(Agreement.isPending(changed)).isTrue();
    }

    @Test
    void afterAChangedPromiseThePatientAgreesAgainToTheVersionThatChangedIt() {
        ContractFixture contract = agreedContract();
        put(contract, plan -> kind(plan, "escalation").get(0).setDescription("Ring vårdcentralen direkt."));
        assertThat(Agreement.isPending(stored(contract))).isTrue();
        assertThat(Agreement.isPending(portalView(contract)))
                .as("the portal view carries the flag")
                .isTrue();

        agreeAgain(contract, "3", "2026-12-01T09:00:00+01:00").then().statusCode(200);

        CarePlan agreed = stored(contract);
        assertThat(agreed.getMeta().getVersionId()).isEqualTo("4");
        assertThat(Agreement.agreedVersion(agreed)).contains("3");
        assertThat(Agreement.isPending(agreed)).isFalse();
        assertThat(Agreement.isPending(portalView(contract))).isFalse();
    }

    /** The contract as the portal view ({@code Patient/{id}/$patientkontrakt}) shows it. */
    private CarePlan portalView(ContractFixture contract) {
        Bundle view = read("/" + contract.patientId() + "/$patientkontrakt", Bundle.class);
        return view.getEntry().stream()
                .map(Bundle.BundleEntryComponent::getResource)
                .filter(CarePlan.class::isInstance)
                .map(CarePlan.class::cast)
                .filter(plan -> plan.getIdElement()
                        .getIdPart()
                        .equals(contract.contractId().substring("CarePlan/".length())))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void careRecordingAnAgreementTogetherWithNewPromisesBindsItToTheVersionWritten() {
        ContractFixture contract = agreedContract();

        CarePlan written = put(contract, plan -> {
            kind(plan, "escalation").get(0).setDescription("Ring mottagningen, sedan 1177.");
            Agreement.of(plan)
                    .orElseThrow()
                    .getExtensionByUrl("date")
                    .setValue(new DateTimeType("2026-12-02T14:00:00+01:00"));
            Agreement.of(plan).orElseThrow().getExtensionByUrl("version").setValue(new StringType("99"));
        });

        assertThat(written.getMeta().getVersionId()).isEqualTo("3");
        assertThat(Agreement.agreedVersion(written))
                .as("what the client said is replaced")
                .contains("3");
        assertThat(Agreement.isPending(written)).isFalse();
    }

    @Test
    void aChangeToTheCareTeamsContactsMakesEveryAgreedContractNamingItWait() {
        ContractFixture contract = agreedContract();
        CareTeam team = read("/" + contract.teamId(), CareTeam.class);
        team.getParticipantFirstRep().getPeriod().setEndElement(new DateTimeType("2026-12-31"));

        fhir(team).when().put("/" + contract.teamId()).then().statusCode(200);

        CarePlan waiting = stored(contract);
        assertThat(waiting.getMeta().getVersionId()).isEqualTo("3");
        assertThat(Agreement.isPending(waiting)).isTrue();
        assertThat(Agreement.agreedVersion(waiting)).contains("1");
        assertThat(pendingContracts(contract)).containsExactly(contract.contractId());

        team.setName("Görans kontaktteam");
        fhir(team).when().put("/" + contract.teamId()).then().statusCode(200);
        assertThat(stored(contract).getMeta().getVersionId())
                .as("a change that is not about the contacts leaves the contract alone")
                .isEqualTo("3");
    }

    @Test
    void aStaleAgreementIsRefusedAndTheContractStaysAsItWas() {
        ContractFixture contract = agreedContract();
        put(contract, plan -> kind(plan, "escalation").get(0).setDescription("Ring vårdcentralen direkt."));

        Response stale = agreeAgain(contract, "2", "2026-12-01T09:00:00+01:00");

        stale.then().statusCode(412);
        assertThat(Agreement.isPending(stored(contract))).isTrue();
        assertThat(stored(contract).getMeta().getVersionId()).isEqualTo("3");
    }

    private static Arguments change(String what, Consumer<CarePlan> change) {
        return Arguments.of(what, (BiConsumer<ContractFixture, CarePlan>) (contract, plan) -> change.accept(plan));
    }

    private static Arguments change(String what, BiConsumer<ContractFixture, CarePlan> change) {
        return Arguments.of(what, change);
    }

    private static org.hl7.fhir.r4.model.CodeableConcept kindCode(String code) {
        return new org.hl7.fhir.r4.model.CodeableConcept()
                .addCoding(new org.hl7.fhir.r4.model.Coding(ContractFixture.ACTIVITY_KIND, code, null));
    }

    private static List<CarePlanActivityDetailComponent> kind(CarePlan plan, String code) {
        List<CarePlanActivityDetailComponent> found = plan.getActivity().stream()
                .map(CarePlan.CarePlanActivityComponent::getDetail)
                .filter(d -> d.getCode().hasCoding(ContractFixture.ACTIVITY_KIND, code))
                .toList();
        assertThat(found).as("activities of kind %s", code).isNotEmpty();
        return found;
    }

    private static CarePlanActivityDetailComponent openNextStep(CarePlan plan) {
        return kind(plan, "next-step").stream()
                .filter(d -> d.getStatus() != CarePlanActivityStatus.COMPLETED)
                .findFirst()
                .orElseThrow();
    }

    private ContractFixture notAgreedContract() {
        ContractFixture contract = ContractFixture.create(fhirContext);
        contract.contract().getExtension().removeIf(e -> e.getUrl().equals(Vocabulary.PATIENT_AGREEMENT));
        fhir(contract.transaction()).when().post("/").then().statusCode(200);
        return contract;
    }

    /** A contract the patient agreed to digitally: version 2, agreeing to version 1. */
    private ContractFixture agreedContract() {
        ContractFixture contract = notAgreedContract();
        agree(contract, "1", "2026-11-23T10:15:00+01:00").then().statusCode(200);
        return contract;
    }

    private Response agree(ContractFixture contract, String version, String when) {
        return fhir().contentType(JSON_PATCH)
                .header("If-Match", "W/\"" + version + "\"")
                .body(contract.agreementPatch("digital").replace("2026-11-23T10:15:00+01:00", when))
                .when()
                .patch("/" + contract.contractId());
    }

    /** The patient agrees again: their agreement replaced by one of today, as the portal page does. */
    private Response agreeAgain(ContractFixture contract, String version, String when) {
        CarePlan current = stored(contract);
        int at = current.getExtension().indexOf(Agreement.of(current).orElseThrow());
        String value = contract.agreementPatch("digital")
                .replace("2026-11-23T10:15:00+01:00", when)
                .replace(
                        "\"op\": \"add\", \"path\": \"/extension/-\"",
                        "\"op\": \"replace\", \"path\": \"/extension/" + at + "\"");
        return fhir().contentType(JSON_PATCH)
                .header("If-Match", "W/\"" + version + "\"")
                .body(value)
                .when()
                .patch("/" + contract.contractId());
    }

    private CarePlan put(ContractFixture contract, Consumer<CarePlan> change) {
        CarePlan plan = stored(contract);
        change.accept(plan);
        Response response = fhir(plan).when().put("/" + contract.contractId());
        response.then().statusCode(200);
        return stored(contract);
    }

    private CarePlan stored(ContractFixture contract) {
        return read("/" + contract.contractId(), CarePlan.class);
    }

    private List<String> pendingContracts(ContractFixture contract) {
        return contracts(contract, "true");
    }

    private List<String> contracts(ContractFixture contract, String pending) {
        Response response =
                fhir().when().get("/CarePlan?agreement-pending=" + pending + "&subject=" + contract.patientId());
        response.then().statusCode(200);
        return ids(parse(response, Bundle.class), Bundle.SearchEntryMode.MATCH);
    }
}
