package se.patientkontrakt.fhir.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static se.patientkontrakt.fhir.contract.SwedishIdentifiers.PERSONNUMMER;
import static se.patientkontrakt.fhir.contract.SwedishIdentifiers.SAMORDNINGSNUMMER;

import ca.uhn.fhir.context.FhirContext;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CarePlan;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.bench.PersonalNumbers.PersonalNumber;
import se.patientkontrakt.fhir.bench.SyntheticPopulation.Activity;
import se.patientkontrakt.fhir.bench.SyntheticPopulation.Contract;
import se.patientkontrakt.fhir.bench.SyntheticPopulation.ContractStatus;
import se.patientkontrakt.fhir.contract.SwedishIdentifiers;

class SyntheticPopulationTest {

    private static final LocalDate TODAY = LocalDate.of(2026, 11, 23);
    private static final FhirContext FHIR = FhirContext.forR4Cached();
    private static final String PROFILE = PopulationBundles.PROFILE;

    @Test
    void personalNumbersAreValidUniqueAndSpreadOverAllAges() {
        List<PersonalNumber> numbers = draw(7, 10_000);

        assertThat(numbers).extracting(PersonalNumber::value).doesNotHaveDuplicates();
        assertThat(numbers).allSatisfy(number -> {
            String system = number.samordningsnummer() ? SAMORDNINGSNUMMER : PERSONNUMMER;
            assertThat(SwedishIdentifiers.problem(system, number.value())).isEmpty();
            assertThat(number.value())
                    .startsWith(String.format(
                            "%04d%02d",
                            number.birthDate().getYear(), number.birthDate().getMonthValue()));
            assertThat(number.age(TODAY)).isBetween(0, 100);
            // The third digit of the serial number is even for women, odd for men.
            assertThat((number.value().charAt(10) - '0') % 2 == 0).isEqualTo(number.female());
        });
        long over65 = numbers.stream().filter(n -> n.age(TODAY) >= 65).count();
        long children = numbers.stream().filter(n -> n.age(TODAY) < 18).count();
        long coordination =
                numbers.stream().filter(PersonalNumber::samordningsnummer).count();
        assertThat(over65).isBetween(4_500L, 5_500L);
        assertThat(children).isBetween(900L, 1_500L);
        assertThat(coordination).isBetween(100L, 300L);
        assertThat(numbers).anySatisfy(n -> assertThat(n.age(TODAY)).isGreaterThanOrEqualTo(99));
        assertThat(numbers).anySatisfy(n -> assertThat(n.age(TODAY)).isZero());
    }

    @Test
    void personalNumbersFollowFromTheSeed() {
        assertThat(draw(42, 1_000)).isEqualTo(draw(42, 1_000));
        assertThat(draw(42, 1_000)).isNotEqualTo(draw(43, 1_000));
    }

    @Test
    void aContractIsTheSameForTheSameSeedWhateverTheOrderAndTheCount() {
        SyntheticPopulation small = new SyntheticPopulation(42, 50, TODAY);
        SyntheticPopulation large = new SyntheticPopulation(42, 500, TODAY);
        large.contract(400);

        assertThat(json(PopulationBundles.contract(large.contract(17))))
                .isEqualTo(json(PopulationBundles.contract(small.contract(17))));
        assertThat(json(PopulationBundles.contract(new SyntheticPopulation(43, 50, TODAY).contract(17))))
                .isNotEqualTo(json(PopulationBundles.contract(small.contract(17))));
    }

    @Test
    void everyResourceDeclaresItsProfileAndIsPutToItsOwnId() {
        SyntheticPopulation population = new SyntheticPopulation(42, 200, TODAY);
        List<Bundle> directory = new ArrayList<>(PopulationBundles.organizations(population, 100));
        directory.addAll(PopulationBundles.practitioners(population, 100));
        List<Bundle> bundles = new ArrayList<>(directory);
        IntStream.range(0, population.count())
                .forEach(i -> bundles.add(PopulationBundles.contract(population.contract(i))));
        Map<String, Set<String>> profiles = Map.of(
                "Organization", Set.of(PROFILE + "pk-organization"),
                "Practitioner", Set.of(PROFILE + "pk-practitioner"),
                "PractitionerRole", Set.of(PROFILE + "pk-practitionerrole"),
                "Patient", Set.of(PROFILE + "pk-patient"),
                "CareTeam", Set.of(PROFILE + "pk-kontaktteam"),
                "Goal", Set.of(PROFILE + "pk-mal"),
                "CarePlan", Set.of(PROFILE + "pk-patientkontrakt", PROFILE + "pk-annan-plan"));

        assertThat(bundles).allSatisfy(bundle -> {
            assertThat(bundle.getType()).isEqualTo(Bundle.BundleType.TRANSACTION);
            assertThat(bundle.getEntry()).allSatisfy(entry -> {
                Resource resource = entry.getResource();
                assertThat(resource.getMeta().getProfile()).singleElement().satisfies(profile -> assertThat(
                                profiles.get(resource.fhirType()))
                        .contains(profile.getValue()));
                assertThat(((DomainResource) resource).getText().getDivAsString())
                        .isNotBlank();
                assertThat(entry.getRequest().getMethod()).isEqualTo(Bundle.HTTPVerb.PUT);
                assertThat(entry.getRequest().getUrl())
                        .isEqualTo(resource.fhirType() + "/"
                                + resource.getIdElement().getIdPart())
                        .matches("[A-Za-z]+/syn42-[a-z0-9-]+");
            });
        });
        // The directory: 50 units, 500 practitioners with one role each.
        assertThat(directory.stream().mapToInt(b -> b.getEntry().size()).sum()).isEqualTo(1050);
        assertThat(directory).allSatisfy(b -> assertThat(b.getEntry()).hasSizeLessThanOrEqualTo(100));
    }

    @Test
    void contractsHoldEveryActivityKindAndTheSharesAskedFor() {
        SyntheticPopulation population = new SyntheticPopulation(42, 1_000, TODAY);
        List<Contract> contracts = IntStream.range(0, population.count())
                .mapToObj(population::contract)
                .toList();

        Set<String> kinds =
                Set.of("patient-responsibility", "care-responsibility", "escalation", "next-step", "follow-up");
        assertThat(contracts).allSatisfy(contract -> {
            assertThat(contract.activities()).extracting(Activity::kind).containsAll(kinds);
            assertThat(contract.vardkontakt() != null || contract.lakarkontakt() != null)
                    .isTrue();
            if (contract.wantsCoordinationHelp()) {
                assertThat(contract.vardkontakt()).isNotNull();
            }
        });
        assertThat(share(contracts, c -> c.vardkontakt() != null)).isBetween(0.80, 0.90);
        assertThat(share(contracts, c -> c.lakarkontakt() != null)).isBetween(0.65, 0.80);
        assertThat(share(contracts, c -> c.sipAuthor() != null)).isBetween(0.05, 0.20);
        assertThat(share(contracts, c -> c.status() == ContractStatus.ACTIVE)).isBetween(0.84, 0.92);
        assertThat(contracts).anySatisfy(c -> assertThat(c.status()).isEqualTo(ContractStatus.COMPLETED));
        assertThat(contracts).anySatisfy(c -> assertThat(c.status()).isEqualTo(ContractStatus.REVOKED));
        List<Contract> active = contracts.stream()
                .filter(c -> c.status() == ContractStatus.ACTIVE)
                .toList();
        assertThat(share(active, c -> openNextStep(c).end().isBefore(TODAY))).isBetween(0.15, 0.35);
        assertThat(share(active, c -> c.activities().stream()
                        .anyMatch(
                                a -> a.kind().equals("next-step") && a.status().equals("completed"))))
                .isBetween(0.3, 0.6);
    }

    @Test
    void theContractBundleLinksItsSipAndCareTeam() {
        SyntheticPopulation population = new SyntheticPopulation(42, 1_000, TODAY);
        Contract withSip = IntStream.range(0, population.count())
                .mapToObj(population::contract)
                .filter(c -> c.sipAuthor() != null)
                .findFirst()
                .orElseThrow();

        Bundle bundle = PopulationBundles.contract(withSip);
        CarePlan contract =
                (CarePlan) bundle.getEntry().get(bundle.getEntry().size() - 1).getResource();

        assertThat(contract.getSupportingInfoFirstRep().getReference())
                .isEqualTo(PopulationBundles.fullUrl("CarePlan/" + withSip.sipId()));
        assertThat(contract.getCareTeamFirstRep().getReference())
                .isEqualTo(PopulationBundles.fullUrl("CareTeam/" + withSip.careTeamId()));
        assertThat(bundle.getEntry())
                .extracting(Bundle.BundleEntryComponent::getFullUrl)
                .doesNotHaveDuplicates();
    }

    @Test
    void aPopulationLoadedBesideAnotherHoldsNoneOfItsPersonalNumbers() {
        SyntheticPopulation alone = new SyntheticPopulation(43, 500, TODAY);
        Set<String> taken = new HashSet<>(new SyntheticPopulation(42, 500, TODAY).personalNumbers());
        // Make the other population hold half of this one's numbers, so that the rule must act.
        alone.personalNumbers().stream().limit(250).forEach(taken::add);

        SyntheticPopulation beside = new SyntheticPopulation(43, 500, TODAY, taken);

        assertThat(beside.personalNumbers()).hasSize(500).doesNotContainAnyElementsOf(taken);
        assertThat(new SyntheticPopulation(43, 500, TODAY, taken).personalNumbers())
                .isEqualTo(beside.personalNumbers());
    }

    private static Activity openNextStep(Contract contract) {
        return contract.activities().stream()
                .filter(a -> a.kind().equals("next-step") && a.status().equals("scheduled"))
                .findFirst()
                .orElseThrow();
    }

    private static double share(List<Contract> contracts, Predicate<Contract> test) {
        return contracts.stream().filter(test).count() / (double) contracts.size();
    }

    private static List<PersonalNumber> draw(long seed, int count) {
        PersonalNumbers numbers = new PersonalNumbers(seed, TODAY);
        List<PersonalNumber> drawn = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            drawn.add(numbers.next());
        }
        return drawn;
    }

    private static String json(Bundle bundle) {
        return FHIR.newJsonParser().encodeResourceToString(bundle);
    }
}
