package se.patientkontrakt.fhir.contract;

import ca.uhn.fhir.context.FhirContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeSystem;
import org.hl7.fhir.r4.model.StructureDefinition;
import org.hl7.fhir.r4.model.ValueSet;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.stereotype.Component;

/**
 * The patient contract's conformance resources and examples as the build ships them: the
 * top-level {@code profiles/}, {@code terminology/} and {@code examples/} folders, copied onto
 * the classpath under {@code conformance/}. Read once at start-up; nothing is fetched from a
 * package registry.
 */
@Component
public class ConformanceResources {

    private final List<IBaseResource> definitions;
    private final List<IBaseResource> examples;

    public ConformanceResources(FhirContext fhirContext) {
        List<IBaseResource> all = new ArrayList<>(read(fhirContext, "profiles"));
        all.addAll(read(fhirContext, "terminology"));
        this.definitions = List.copyOf(all);
        this.examples = read(fhirContext, "examples");
    }

    /**
     * Every definition shipped in {@code profiles/} and {@code terminology/} (StructureDefinitions,
     * SearchParameters, OperationDefinitions, Measures, CodeSystems, ValueSets, NamingSystems), in
     * file-name order.
     */
    public List<IBaseResource> definitions() {
        return definitions;
    }

    public List<StructureDefinition> structureDefinitions() {
        return ofType(definitions, StructureDefinition.class);
    }

    public List<CodeSystem> codeSystems() {
        return ofType(definitions, CodeSystem.class);
    }

    public List<ValueSet> valueSets() {
        return ofType(definitions, ValueSet.class);
    }

    /** The example resources, transaction Bundles included, in file-name order. */
    public List<IBaseResource> examples() {
        return examples;
    }

    public List<Bundle> exampleTransactions() {
        return ofType(examples, Bundle.class);
    }

    private static <T> List<T> ofType(List<IBaseResource> resources, Class<T> type) {
        return resources.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private static List<IBaseResource> read(FhirContext fhirContext, String folder) {
        try {
            Resource[] files = new PathMatchingResourcePatternResolver()
                    .getResources("classpath*:conformance/" + folder + "/*.json");
            return Arrays.stream(files)
                    .sorted(Comparator.comparing(Resource::getFilename))
                    .map(file -> parse(fhirContext, file))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list conformance/" + folder + " on the classpath", e);
        }
    }

    private static IBaseResource parse(FhirContext fhirContext, Resource file) {
        try (InputStream in = file.getInputStream()) {
            return fhirContext.newJsonParser().parseResource(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file.getDescription(), e);
        } catch (RuntimeException e) {
            throw new IllegalStateException("Invalid FHIR JSON in " + file.getFilename() + ": " + e.getMessage(), e);
        }
    }
}
