package se.patientkontrakt.fhir.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.MetadataResource;
import org.hl7.fhir.r4.model.NamingSystem;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StructureDefinition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import se.patientkontrakt.fhir.contract.SwedishIdentifiers;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * The layout rules of the conformance folders, checked on the files as committed: the file name
 * is {@code {resourceType}-{id}.json}, every {@code url} is {@code {base}/{type}/{id}} (the two
 * Inera code systems keep Inera's canonical), names say what a definition is, every profile has
 * an example and every extension is used by one; each persona's transaction Bundle holds its
 * stand-alone examples unchanged (every example but a Provenance is in one), and every care unit
 * is part of its care giver.
 */
class ConformanceFilesTest {

    private static final FhirContext FHIR = FhirContext.forR4Cached();
    private static final Set<String> INERA_CANONICALS = Set.of("pk-kv-typ-av-fast-kontakt", "pk-typeofcareplan");

    static Stream<Path> files() {
        return Stream.of("profiles", "terminology", "examples").flatMap(ConformanceFilesTest::jsonFiles);
    }

    private static Stream<Path> jsonFiles(String folder) {
        return ConformanceFolders.jsonFiles(folder);
    }

    private static Resource read(Path file) {
        return (Resource) FHIR.newJsonParser().parseResource(ConformanceFolders.read(file));
    }

    private static List<Resource> readAll(String folder) {
        return jsonFiles(folder).map(ConformanceFilesTest::read).toList();
    }

    private static List<StructureDefinition> structureDefinitions() {
        return readAll("profiles").stream()
                .filter(StructureDefinition.class::isInstance)
                .map(StructureDefinition.class::cast)
                .toList();
    }

    @ParameterizedTest
    @MethodSource("files")
    void fileNameIsTypeAndId(Path file) {
        Resource resource = read(file);

        assertThat(file.getFileName().toString())
                .isEqualTo(resource.fhirType() + "-" + resource.getIdElement().getIdPart() + ".json");
        assertThat(resource.getIdElement().getIdPart()).matches("[a-z0-9]+(-[a-z0-9]+)*");
    }

    @Test
    void conformanceResourcesUseTheCanonicalBaseAndPrefix() {
        for (String folder : List.of("profiles", "terminology")) {
            for (Resource resource : readAll(folder)) {
                String id = resource.getIdElement().getIdPart();
                assertThat(id).as(folder + ": " + id).startsWith("pk-");
                // An R4 NamingSystem has no url element.
                if (resource instanceof MetadataResource metadata
                        && !(resource instanceof NamingSystem)
                        && !INERA_CANONICALS.contains(id)) {
                    assertThat(metadata.getUrl())
                            .isEqualTo(Vocabulary.CANONICAL_BASE + "/" + resource.fhirType() + "/" + id);
                }
            }
        }
    }

    @Test
    void profilesAreDifferentialsNamedForWhatTheyAre() {
        for (StructureDefinition sd : structureDefinitions()) {
            assertThat(sd.hasSnapshot()).as(sd.getId() + " has no snapshot").isFalse();
            assertThat(sd.getFhirVersion().toCode()).isEqualTo("4.0.1");
            assertThat(sd.getName()).matches("[A-Z][A-Za-z]+(Profile|Extension)");
            assertThat(sd.getName().endsWith("Extension")).isEqualTo("Extension".equals(sd.getType()));
        }
    }

    @Test
    void everyProfileHasAnExampleAndEveryExtensionIsUsed() throws IOException {
        List<Resource> examples = readAll("examples");
        Set<String> declared = examples.stream()
                .flatMap(r -> r instanceof Bundle b
                        ? b.getEntry().stream().map(Bundle.BundleEntryComponent::getResource)
                        : Stream.of(r))
                .flatMap(r -> r.getMeta().getProfile().stream().map(p -> p.getValue()))
                .collect(Collectors.toSet());
        String allExamples = jsonFiles("examples").map(ConformanceFolders::read).collect(Collectors.joining());

        for (StructureDefinition sd : structureDefinitions()) {
            if ("Extension".equals(sd.getType())) {
                assertThat(allExamples).as("an example uses " + sd.getUrl()).contains("\"" + sd.getUrl() + "\"");
            } else {
                assertThat(declared).as("an example declares " + sd.getUrl()).contains(sd.getUrl());
            }
        }
    }

    @Test
    void profilesHoldOnlyProfilesSearchParametersOperationsAndMeasures() {
        assertThat(readAll("profiles"))
                .extracting(Resource::fhirType)
                .containsOnly("StructureDefinition", "SearchParameter", "OperationDefinition", "Measure");
    }

    @Test
    void everyExampleOutsideBundlesDeclaresAProfile() {
        for (Resource resource : readAll("examples")) {
            if (!(resource instanceof Bundle)) {
                assertThat(resource.getMeta().getProfile())
                        .as(resource.getIdElement().getIdPart())
                        .isNotEmpty();
            }
        }
    }

    /**
     * A Bundle entry is its stand-alone example, except that a reference to another resource of the
     * Bundle names that entry's {@code fullUrl}: the two copies cannot drift apart, and what the demo
     * loader stores is what {@code ExamplesIT} validates.
     */
    @Test
    void everyTransactionEntryIsItsStandAloneExample() {
        Map<String, Resource> standAlone = readAll("examples").stream()
                .filter(r -> !(r instanceof Bundle))
                .collect(Collectors.toMap(ConformanceFilesTest::typeAndId, Function.identity()));

        for (Resource resource : readAll("examples")) {
            if (!(resource instanceof Bundle bundle)) {
                continue;
            }
            for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
                String url = entry.getRequest().getUrl();
                assertThat(standAlone)
                        .as(bundle.getId() + ": " + url + " has a stand-alone example")
                        .containsKey(url);
                String expected = json(standAlone.get(url));
                for (Bundle.BundleEntryComponent other : bundle.getEntry()) {
                    expected = expected.replace(
                            "\"reference\":\"" + other.getRequest().getUrl() + "\"",
                            "\"reference\":\"" + other.getFullUrl() + "\"");
                }
                assertThat(json(entry.getResource()))
                        .as(bundle.getId() + ": " + url)
                        .isEqualTo(expected);
            }
        }
    }

    /**
     * The demo loader stores the persona Bundles, and {@code ExamplesIT} reads their resources back:
     * every example is in one, except a Provenance, which only the server writes, as its record of
     * a write.
     */
    @Test
    void everyExampleButProvenanceIsInAPersonasBundle() {
        List<Resource> examples = readAll("examples");
        Set<String> inBundles = examples.stream()
                .filter(Bundle.class::isInstance)
                .flatMap(r -> ((Bundle) r).getEntry().stream())
                .map(e -> e.getRequest().getUrl())
                .collect(Collectors.toSet());

        for (Resource example : examples) {
            if (!(example instanceof Bundle)) {
                assertThat(inBundles.contains(typeAndId(example)))
                        .as(typeAndId(example) + " is in a Bundle")
                        .isEqualTo(!(example instanceof Provenance));
            }
        }
    }

    /** Each care unit (an HSA-id with a local part) names its care giver, whose HSA-id it begins with. */
    @Test
    void everyCareUnitIsPartOfItsCareGiver() {
        Map<String, Organization> organizations = readAll("examples").stream()
                .filter(Organization.class::isInstance)
                .map(Organization.class::cast)
                .collect(Collectors.toMap(ConformanceFilesTest::typeAndId, Function.identity()));
        List<Organization> units = organizations.values().stream()
                .filter(o -> hsaId(o).contains("-"))
                .toList();

        assertThat(units).isNotEmpty();
        for (Organization unit : units) {
            String hsaId = hsaId(unit);
            Organization careGiver = organizations.get(unit.getPartOf().getReference());
            assertThat(careGiver)
                    .as(hsaId + " is part of an example Organization")
                    .isNotNull();
            assertThat(hsaId(careGiver)).as(hsaId + "'s care giver").isEqualTo(hsaId.substring(0, hsaId.indexOf('-')));
            assertThat(careGiver.hasPartOf())
                    .as(hsaId(careGiver) + " is a care giver")
                    .isFalse();
        }
    }

    private static String typeAndId(Resource resource) {
        return resource.fhirType() + "/" + resource.getIdElement().getIdPart();
    }

    private static String json(Resource resource) {
        return FHIR.newJsonParser().encodeResourceToString(resource);
    }

    private static String hsaId(Organization organization) {
        return organization.getIdentifier().stream()
                .filter(i -> SwedishIdentifiers.HSA_ID.equals(i.getSystem()))
                .map(i -> i.getValue())
                .findFirst()
                .orElseThrow(() -> new AssertionError(typeAndId(organization) + " has no HSA-id"));
    }
}
