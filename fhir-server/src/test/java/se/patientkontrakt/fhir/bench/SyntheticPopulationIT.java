package se.patientkontrakt.fhir.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CarePlan;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.FhirIT;
import se.patientkontrakt.fhir.bench.SyntheticPopulation.Contract;
import se.patientkontrakt.fhir.bench.SyntheticPopulation.ContractStatus;

/**
 * The synthetic population passes the server's own profile validation, so the loader cannot
 * drift from the profiles unnoticed: a small directory, and one contract of every variant the
 * generator makes (samordningsnummer, SIP, completed, revoked, with and without each fixed
 * contact), written as the loader writes them. Sending one again stores no new version.
 */
class SyntheticPopulationIT extends FhirIT {

    private static final long SEED = 990_001;

    @Test
    void everyVariantOfGeneratedContractIsAcceptedAndARerunChangesNothing() {
        SyntheticPopulation population = new SyntheticPopulation(SEED, 300, LocalDate.now(), 5, 10);
        List<Contract> contracts = IntStream.range(0, population.count())
                .mapToObj(population::contract)
                .toList();
        Set<Contract> variants = new LinkedHashSet<>(contracts.subList(0, 3));
        List<Predicate<Contract>> wanted = List.of(
                c -> c.number().samordningsnummer(),
                c -> c.sipAuthor() != null,
                c -> c.status() == ContractStatus.COMPLETED,
                c -> c.status() == ContractStatus.REVOKED,
                c -> c.vardkontakt() == null,
                c -> c.lakarkontakt() == null,
                c -> c.omsorgskontakt() != null,
                Contract::wantsCoordinationHelp);
        for (Predicate<Contract> variant : wanted) {
            variants.add(contracts.stream().filter(variant).findFirst().orElseThrow());
        }

        for (Bundle directory : PopulationBundles.organizations(population, 100)) {
            fhir(directory).when().post("/").then().statusCode(200);
        }
        for (Bundle directory : PopulationBundles.practitioners(population, 100)) {
            fhir(directory).when().post("/").then().statusCode(200);
        }
        for (Contract contract : variants) {
            fhir(PopulationBundles.contract(contract)).when().post("/").then().statusCode(200);
        }
        Contract first = variants.iterator().next();
        fhir(PopulationBundles.contract(first)).when().post("/").then().statusCode(200);

        CarePlan stored = read("/CarePlan/" + first.contractId(), CarePlan.class);
        assertThat(stored.getMeta().getVersionId()).isEqualTo("1");
        assertThat(stored.getSubject().getReference()).isEqualTo("Patient/" + first.patientId());
    }
}
