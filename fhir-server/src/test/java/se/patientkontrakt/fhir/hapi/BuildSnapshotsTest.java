package se.patientkontrakt.fhir.hapi;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.r4.model.StructureDefinition;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.contract.ConformanceResources;

/**
 * The snapshots the build writes ({@code process-classes}, before the tests run) are those the
 * validator would generate at start-up, one for every profile, and none is used for a profile
 * whose differential has changed since.
 */
class BuildSnapshotsTest {

    private static final FhirContext FHIR = FhirContext.forR4Cached();
    private static final ConformanceResources CONFORMANCE = new ConformanceResources(FHIR);

    @Test
    void theBuildShipsTheSnapshotOfEveryProfile() {
        List<StructureDefinition> differentials = CONFORMANCE.structureDefinitions();

        Map<String, StructureDefinition> built = BuildSnapshots.read(FHIR, differentials);

        assertThat(differentials).isNotEmpty();
        assertThat(built.keySet())
                .containsExactlyInAnyOrderElementsOf(
                        differentials.stream().map(StructureDefinition::getUrl).toList());
        assertThat(built.values()).allMatch(StructureDefinition::hasSnapshot);
    }

    @Test
    void theBuildsSnapshotsAreTheOnesGeneratedAtStartUp() {
        Map<String, StructureDefinition> built = BuildSnapshots.read(FHIR, CONFORMANCE.structureDefinitions());

        Map<String, StructureDefinition> generated = ContractValidator.generateSnapshots(FHIR, CONFORMANCE);

        assertThat(generated).hasSameSizeAs(built);
        generated.forEach(
                (url, snapshot) -> assertThat(json(built.get(url))).as(url).isEqualTo(json(snapshot)));
    }

    @Test
    void aProfileChangedSinceTheBuildHasItsSnapshotGeneratedAnew() {
        StructureDefinition changed = CONFORMANCE.structureDefinitions().get(0).copy();
        changed.getDifferential().getElementFirstRep().setShort("ändrad efter bygget (changed after the build)");

        Map<String, StructureDefinition> built = BuildSnapshots.read(FHIR, List.of(changed));

        assertThat(built).isEmpty();
    }

    private static String json(StructureDefinition definition) {
        return FHIR.newJsonParser().setPrettyPrint(true).encodeResourceToString(definition);
    }
}
