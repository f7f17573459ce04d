package se.patientkontrakt.fhir.hapi;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.PrimitiveType;
import org.junit.jupiter.api.Test;
import se.patientkontrakt.fhir.contract.ConformanceResources;

/**
 * What the compiled checker costs against the HL7 validator, per resource of Göran's contract, in
 * one process. A benchmark, not a test: it asserts only that the checker accepts each resource;
 * run with {@code ./mvnw -pl fhir-server verify -Pbench -Dit.test=CompiledCheckerBenchmark}.
 * The two take turns on each resource, so warm-up and whatever else the machine does fall on both.
 */
class CompiledCheckerBenchmark {

    private static final FhirContext FHIR = FhirContext.forR4Cached();
    private static final int WARM_UP = Integer.getInteger("bench.warm-up", 300);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 1_000);

    @Test
    void compiledCheckerAgainstTheHl7Validator() {
        ConformanceResources conformance = new ConformanceResources(FHIR);
        ContractValidator validator = new ContractValidator(FHIR, conformance);
        validator.prepare(true);
        Bundle goran = conformance.exampleTransactions().stream()
                .filter(b -> b.getEntry().stream()
                        .anyMatch(e ->
                                e.getResource().getIdElement().getIdPart().equals("goran-karlsson-patientkontrakt")))
                .findFirst()
                .orElseThrow();
        List<DomainResource> contract = new ArrayList<>(CompiledCheckerDifferentialTest.asStored(goran));
        contract.removeIf(resource -> profiles(resource).isEmpty());
        for (DomainResource resource : contract) {
            assertThat(validator.compiledVerdict(resource, profiles(resource)).accepted())
                    .as(resource.getIdElement().getIdPart())
                    .isTrue();
        }
        Map<String, List<Double>> compiled = new LinkedHashMap<>();
        Map<String, List<Double>> hl7 = new LinkedHashMap<>();
        for (int round = 0; round < WARM_UP + ROUNDS; round++) {
            double compiledTotal = 0;
            double hl7Total = 0;
            for (DomainResource resource : contract) {
                String name =
                        resource.fhirType() + "/" + resource.getIdElement().getIdPart();
                long started = System.nanoTime();
                validator.compiledVerdict(resource, profiles(resource));
                double compiledMs = (System.nanoTime() - started) / 1e6;
                started = System.nanoTime();
                validator.errors(resource, profiles(resource));
                double hl7Ms = (System.nanoTime() - started) / 1e6;
                compiledTotal += compiledMs;
                hl7Total += hl7Ms;
                if (round >= WARM_UP) {
                    compiled.computeIfAbsent(name, k -> new ArrayList<>()).add(compiledMs);
                    hl7.computeIfAbsent(name, k -> new ArrayList<>()).add(hl7Ms);
                }
            }
            if (round >= WARM_UP) {
                compiled.computeIfAbsent("whole contract", k -> new ArrayList<>())
                        .add(compiledTotal);
                hl7.computeIfAbsent("whole contract", k -> new ArrayList<>()).add(hl7Total);
            }
        }
        System.out.printf(
                "%nCompiled checker against the HL7 validator: %d rounds after %d warm-up, medians in ms (Java %s, %d"
                        + " processors)%n",
                ROUNDS,
                WARM_UP,
                System.getProperty("java.runtime.version"),
                Runtime.getRuntime().availableProcessors());
        String format = "| %-52s | %8s | %8s | %7s |%n";
        System.out.printf(format, "resource", "compiled", "HL7", "ratio");
        System.out.printf(format, "---", "---", "---", "---");
        for (String name : compiled.keySet()) {
            double c = median(compiled.get(name));
            double h = median(hl7.get(name));
            System.out.printf(
                    format, name, String.format("%.3f", c), String.format("%.3f", h), String.format("%.1fx", h / c));
        }
    }

    private static List<String> profiles(IBaseResource resource) {
        return ((DomainResource) resource)
                .getMeta().getProfile().stream().map(PrimitiveType::getValue).toList();
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
