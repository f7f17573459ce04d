package se.patientkontrakt.fhir.bench;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;

/** The synthetic population's contracts and directory as transaction Bundles, for tests in other packages. */
public final class GeneratedContracts {

    private GeneratedContracts() {}

    /** The directory (organizations, practitioners) and {@code count} contracts, each a Bundle. */
    public static List<Bundle> bundles(long seed, int count, LocalDate today) {
        SyntheticPopulation population = new SyntheticPopulation(seed, count, today);
        List<Bundle> bundles = new ArrayList<>(PopulationBundles.organizations(population, 100));
        bundles.addAll(PopulationBundles.practitioners(population, 100));
        for (int i = 0; i < count; i++) {
            bundles.add(PopulationBundles.contract(population.contract(i)));
        }
        return bundles;
    }
}
