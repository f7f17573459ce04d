package se.patientkontrakt.fhir.bench;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import se.patientkontrakt.fhir.bench.ListedPopulation.Malgrupp;
import se.patientkontrakt.fhir.bench.ListedPopulation.Resident;

class ListedPopulationTest {

    private static final LocalDate TODAY = LocalDate.of(2026, 11, 23);
    private static final FhirContext FHIR = FhirContext.forR4Cached();

    @Test
    void theTargetGroupsHaveTheRegionsShares() {
        int count = 100_000;
        ListedPopulation population = new ListedPopulation(42, count, TODAY);
        List<Resident> residents =
                IntStream.range(0, count).mapToObj(population::resident).toList();

        assertThat(share(residents, Malgrupp.RUB_5)).isBetween(0.016, 0.020);
        assertThat(share(residents, Malgrupp.RUB_4)).isBetween(0.050, 0.062);
        assertThat(share(residents, Malgrupp.SABO)).isBetween(0.007, 0.013);
        assertThat(share(residents, Malgrupp.PLUS_75)).isBetween(0.12, 0.14);
        assertThat(residents)
                .noneMatch(r -> r.memberSince().containsKey(Malgrupp.RUB_5)
                        && r.memberSince().containsKey(Malgrupp.RUB_4));
        double rub5MeanAge = residents.stream()
                .filter(r -> r.memberSince().containsKey(Malgrupp.RUB_5))
                .mapToInt(r -> r.number().age(TODAY))
                .average()
                .orElseThrow();
        assertThat(rub5MeanAge).isBetween(65.0, 80.0);
        assertThat(residents.stream().filter(r -> r.number().age(TODAY) < 18).count())
                .isBetween(18_000L, 22_000L);
    }

    @Test
    void seventyFivePlusFollowsTheBirthDateAndSaboOnlyTheElderly() {
        ListedPopulation population = new ListedPopulation(7, 20_000, TODAY);

        IntStream.range(0, population.count()).mapToObj(population::resident).forEach(resident -> {
            LocalDate born = resident.number().birthDate();
            assertThat(resident.memberSince().containsKey(Malgrupp.PLUS_75))
                    .isEqualTo(!born.plusYears(75).isAfter(TODAY));
            if (resident.memberSince().containsKey(Malgrupp.PLUS_75)) {
                assertThat(resident.memberSince()).containsEntry(Malgrupp.PLUS_75, born.plusYears(75));
            }
            if (resident.memberSince().containsKey(Malgrupp.SABO)) {
                assertThat(resident.number().age(TODAY)).isGreaterThanOrEqualTo(65);
            }
            resident.memberSince()
                    .values()
                    .forEach(since -> assertThat(since).isAfterOrEqualTo(born).isBeforeOrEqualTo(TODAY));
        });
    }

    @Test
    void everyResidentIsListedAndTheCentresShareThePopulation() {
        ListedPopulation population = new ListedPopulation(42, 300_000, TODAY);

        assertThat(population.centres()).hasSize(30);
        assertThat(population.centres())
                .extracting(ListedPopulation.HealthCentre::hsaId)
                .doesNotHaveDuplicates();
        Map<String, Long> listed = IntStream.range(0, 30_000)
                .mapToObj(population::resident)
                .collect(java.util.stream.Collectors.groupingBy(
                        r -> r.listedAt().id(), java.util.stream.Collectors.counting()));
        assertThat(listed).hasSize(30);
        assertThat(listed.values()).allSatisfy(n -> assertThat(n).isBetween(700L, 1_300L));
    }

    @Test
    void contractsLoadedBesideTheResidentsHoldNoneOfTheirNumbersAndAreListedAtTheirCentres() {
        ListedPopulation residents = new ListedPopulation(42, 20_000, TODAY);
        SyntheticPopulation contracts = new SyntheticPopulation(42, 5_000, TODAY, residents.personalNumbers());

        assertThat(contracts.personalNumbers()).doesNotContainAnyElementsOf(residents.personalNumbers());

        ListedPopulation.HealthCentre centre = residents.centres().get(1);
        Bundle bundle = PopulationBundles.contract(contracts.contract(7));
        PopulationBundles.listAt(bundle, centre);
        List<Patient> patients = bundle.getEntry().stream()
                .map(entry -> entry.getResource())
                .filter(Patient.class::isInstance)
                .map(Patient.class::cast)
                .toList();
        assertThat(patients).singleElement().satisfies(patient -> assertThat(patient.getGeneralPractitioner())
                .singleElement()
                .satisfies(listing -> {
                    assertThat(listing.getReference()).isEqualTo("Organization/" + centre.id());
                    assertThat(listing.getDisplay()).isEqualTo(centre.name());
                }));
        assertThat(bundle.getEntry())
                .filteredOn(entry -> !(entry.getResource() instanceof Patient))
                .allSatisfy(entry -> assertThat(FHIR.newJsonParser().encodeResourceToString(entry.getResource()))
                        .doesNotContain(centre.id()));
    }

    @Test
    void aResidentIsTheSameForTheSameSeedWhateverTheCount() {
        ListedPopulation small = new ListedPopulation(42, 100, TODAY);
        ListedPopulation large = new ListedPopulation(42, 1_000, TODAY);

        assertThat(large.resident(57)).isEqualTo(small.resident(57));
        assertThat(new ListedPopulation(43, 100, TODAY).resident(57)).isNotEqualTo(small.resident(57));
    }

    @Test
    void theFilesHoldTheCentresThenThePatientsThenTheGroupsWithSmallMembers(@TempDir Path directory)
            throws IOException {
        ListedPopulation population = new ListedPopulation(42, 5_000, TODAY);

        Map<Malgrupp, Integer> sizes = new PopulationNdjson(FHIR, population).write(directory);

        assertThat(Files.readAllLines(directory.resolve("Organization.ndjson")))
                .hasSize(1 + population.centres().size());
        List<String> patients = Files.readAllLines(directory.resolve("Patient.ndjson"));
        assertThat(patients).hasSize(5_000);
        Patient first = FHIR.newJsonParser().parseResource(Patient.class, patients.get(0));
        assertThat(first.getIdPart()).isEqualTo("pop42-0");
        assertThat(first.getGeneralPractitioner()).singleElement().satisfies(gp -> assertThat(gp.getReference())
                .startsWith("Organization/pop42-vc-"));
        List<String> groups = Files.readAllLines(directory.resolve("Group.ndjson"));
        assertThat(groups).hasSize(Malgrupp.values().length);
        Group rub5 = FHIR.newJsonParser().parseResource(Group.class, groups.get(0));
        assertThat(rub5.getCode().getCodingFirstRep().getCode()).isEqualTo("rub-5");
        assertThat(rub5.getMember()).hasSize(sizes.get(Malgrupp.RUB_5));
        assertThat(rub5.getQuantity()).isEqualTo(sizes.get(Malgrupp.RUB_5));
        // 5,400 members of 300,000 residents must fit the default 1 MB request limit in one Group.
        long bytes = groups.get(0).getBytes(StandardCharsets.UTF_8).length;
        assertThat(bytes / rub5.getMember().size()).isLessThan(100);
    }

    private static double share(List<Resident> residents, Malgrupp group) {
        return residents.stream()
                        .filter(r -> r.memberSince().containsKey(group))
                        .count()
                / (double) residents.size();
    }
}
