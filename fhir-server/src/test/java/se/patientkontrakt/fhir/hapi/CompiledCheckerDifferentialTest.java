package se.patientkontrakt.fhir.hapi;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.util.FhirTerser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Base;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.Element;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.PrimitiveType;
import org.hl7.fhir.r4.model.Property;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import se.patientkontrakt.fhir.bench.GeneratedContracts;
import se.patientkontrakt.fhir.contract.ConformanceResources;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * The compiled checker against the HL7 validator, its referee: on every example, every invalid
 * fixture, generated contracts and systematic mutants of each valid resource. The checker may
 * refer anything to the HL7 validator, but what it accepts the HL7 validator must find no error
 * in (no false accept); and it must accept every valid resource, or it saves nothing.
 *
 * <p>The HL7 validator runs only where the checker accepts (where it refers, the HL7 validator's
 * answer is the answer, so there is nothing to compare). Sizes: {@code -Dchecker.contracts}
 * (generated contracts, default 20) and {@code -Dchecker.mutants} (accepted mutants the HL7
 * validator checks, a seeded sample, default 1,000); the seed is {@code -Dchecker.seed} (default 24).
 */
class CompiledCheckerDifferentialTest {

    private static final FhirContext FHIR = FhirContext.forR4Cached();
    private static final int CONTRACTS = Integer.getInteger("checker.contracts", 20);
    private static final int MUTANTS = Integer.getInteger("checker.mutants", 1_000);
    private static final long SEED = Long.getLong("checker.seed", 24);

    /**
     * Valid resources the checker refers, by kind and reason ({@code "Group: Group: pk-22"}), each
     * with a comment saying why. None now: every valid resource is accepted.
     */
    private static final Set<String> KNOWN_REFERRALS = Set.of();

    private static ContractValidator validator;
    private static List<DomainResource> valid;

    @BeforeAll
    static void prepare() {
        ConformanceResources conformance = new ConformanceResources(FHIR);
        validator = new ContractValidator(FHIR, conformance);
        validator.prepare(true);
        valid = new ArrayList<>();
        for (IBaseResource example : conformance.examples()) {
            if (example instanceof Bundle bundle) {
                valid.addAll(asStored(bundle));
            } else {
                valid.add(stored((DomainResource) example));
            }
        }
        for (Bundle bundle : GeneratedContracts.bundles(SEED, CONTRACTS, LocalDate.now())) {
            valid.addAll(asStored(bundle));
        }
        valid.removeIf(resource -> ourProfiles(resource).isEmpty());
    }

    @Test
    void acceptsEveryValidResourceAndTheHl7ValidatorAgrees() {
        Map<String, Integer> referrals = new TreeMap<>();
        List<String> falseAccepts = new ArrayList<>();
        int accepted = 0;
        for (DomainResource resource : valid) {
            CompiledProfileChecker.Verdict verdict = validator.compiledVerdict(resource, ourProfiles(resource));
            if (verdict.accepted()) {
                accepted++;
                compare(resource, "valid", falseAccepts);
            } else {
                referrals.merge(
                        resource.fhirType() + ": " + verdict.referral().replaceAll("\\[\\d+]", ""), 1, Integer::sum);
            }
        }
        System.out.printf("Compiled checker: accepted %d of %d valid resources%n", accepted, valid.size());
        referrals.forEach((reason, count) -> System.out.printf("  referred %d× %s%n", count, reason));
        assertThat(falseAccepts)
                .as("accepted, but the HL7 validator finds errors")
                .isEmpty();
        assertThat(referrals.keySet())
                .as("valid resources referred to the HL7 validator")
                .allMatch(KNOWN_REFERRALS::contains);
    }

    @Test
    void acceptsNoInvalidFixture() throws IOException {
        List<String> falseAccepts = new ArrayList<>();
        var files = new PathMatchingResourcePatternResolver().getResources("classpath*:invalid/*.json");
        assertThat(files).isNotEmpty();
        for (var file : files) {
            try (InputStream in = file.getInputStream()) {
                DomainResource resource = (DomainResource)
                        FHIR.newJsonParser().parseResource(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                if (!ourProfiles(resource).isEmpty()
                        && validator
                                .compiledVerdict(resource, ourProfiles(resource))
                                .accepted()) {
                    compare(resource, file.getFilename(), falseAccepts);
                }
            }
        }
        assertThat(falseAccepts).as("invalid fixtures the checker accepts").isEmpty();
    }

    /**
     * pk-22 (the group's kind is one of its characteristics) as the checker evaluates it: it refers
     * a group whose only kind, or one of whose kinds, no characteristic states, and the HL7
     * validator refuses both for pk-22; the example groups it accepts.
     */
    @Test
    void refersTargetGroupsWhoseKindIsNotACharacteristic() throws IOException {
        DomainResource notItsKind;
        try (InputStream in = new PathMatchingResourcePatternResolver()
                .getResource("classpath:invalid/Group-characteristic-not-its-kind.json")
                .getInputStream()) {
            notItsKind = (DomainResource)
                    FHIR.newJsonParser().parseResource(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        List<Group> groups = valid.stream()
                .filter(Group.class::isInstance)
                .map(Group.class::cast)
                .toList();
        assertThat(groups).isNotEmpty();
        Group secondKind = groups.get(0).copy();
        secondKind.getCode().addCoding(new Coding(Vocabulary.MALGRUPP_TYP, "sabo", null));

        for (DomainResource group : List.of(notItsKind, secondKind)) {
            assertThat(validator.compiledVerdict(group, ourProfiles(group)).referral())
                    .isEqualTo("Group: pk-22");
            assertThat(validator.errors(group, ourProfiles(group)))
                    .extracting(ContractValidator.Problem::message)
                    .anyMatch(message -> message.startsWith("Constraint failed: pk-22:"));
        }
        assertThat(groups)
                .allMatch(group ->
                        validator.compiledVerdict(group, ourProfiles(group)).accepted());
    }

    @Test
    void acceptsNoMutantTheHl7ValidatorRejects() {
        SplittableRandom random = new SplittableRandom(SEED);
        List<DomainResource> originals = new ArrayList<>(valid);
        List<String> falseAccepts = new ArrayList<>();
        int mutants = 0;
        int accepted = 0;
        int compared = 0;
        Map<String, int[]> byKind = new TreeMap<>();
        // Every example and a sample of the generated resources, each mutated in every way.
        List<DomainResource> chosen = new ArrayList<>();
        for (DomainResource resource : originals) {
            if (chosen.size() < 80 || random.nextInt(10) == 0) {
                chosen.add(resource);
            }
        }
        List<Mutant> all = new ArrayList<>();
        List<Mutant> acceptedMutants = new ArrayList<>();
        for (DomainResource original : chosen) {
            all.addAll(Mutations.of(original));
        }
        for (Mutant mutant : all) {
            mutants++;
            int[] counts = byKind.computeIfAbsent(mutant.kind(), k -> new int[2]);
            counts[0]++;
            if (!validator
                    .compiledVerdict(mutant.resource(), ourProfiles(mutant.resource()))
                    .accepted()) {
                continue;
            }
            accepted++;
            counts[1]++;
            acceptedMutants.add(mutant);
        }
        // Where the checker accepts, the HL7 validator is asked: all of them, or a seeded sample.
        for (int i = acceptedMutants.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            Mutant swapped = acceptedMutants.get(i);
            acceptedMutants.set(i, acceptedMutants.get(j));
            acceptedMutants.set(j, swapped);
        }
        for (Mutant mutant : acceptedMutants.subList(0, Math.min(MUTANTS, acceptedMutants.size()))) {
            compared++;
            compare(mutant.resource(), mutant.kind() + " " + mutant.where(), falseAccepts);
        }
        System.out.printf(
                "Mutants: %d of %d resources, %d accepted by the compiled checker, %d of those compared with the HL7"
                        + " validator%n",
                mutants, chosen.size(), accepted, compared);
        byKind.forEach(
                (kind, counts) -> System.out.printf("  %-28s %6d made, %6d accepted%n", kind, counts[0], counts[1]));
        assertThat(falseAccepts)
                .as("mutants the checker accepts and the HL7 validator rejects")
                .isEmpty();
    }

    /** Records a false accept: the resource, and both verdicts. */
    private static void compare(DomainResource resource, String label, List<String> falseAccepts) {
        List<ContractValidator.Problem> errors = validator.errors(resource, ourProfiles(resource));
        if (!errors.isEmpty()) {
            String report = label + ": compiled ACCEPT, HL7 " + errors + "\n"
                    + FHIR.newJsonParser().setPrettyPrint(true).encodeResourceToString(resource);
            if (falseAccepts.size() < 5) {
                System.out.println("FALSE ACCEPT " + report);
            }
            falseAccepts.add(report);
        }
    }

    private static List<String> ourProfiles(DomainResource resource) {
        return resource.getMeta().getProfile().stream()
                .map(PrimitiveType::getValue)
                .filter(url -> url.startsWith(Vocabulary.CANONICAL_BASE + "/"))
                .toList();
    }

    /** The entries as the server stores them: references to other entries resolved, version and time set. */
    static List<DomainResource> asStored(Bundle bundle) {
        Map<String, String> literals = new HashMap<>();
        for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
            Resource resource = entry.getResource();
            literals.put(
                    entry.getFullUrl(),
                    resource.fhirType() + "/" + resource.getIdElement().getIdPart());
        }
        List<DomainResource> stored = new ArrayList<>();
        FhirTerser terser = FHIR.newTerser();
        for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
            DomainResource resource = (DomainResource) entry.getResource().copy();
            for (Reference reference : terser.getAllPopulatedChildElementsOfType(resource, Reference.class)) {
                String literal = literals.get(reference.getReference());
                if (literal != null) {
                    reference.setReference(literal);
                }
            }
            stored.add(stored(resource));
        }
        return stored;
    }

    private static DomainResource stored(DomainResource resource) {
        DomainResource copy = (DomainResource) resource.copy();
        copy.getMeta().setVersionId("1").setLastUpdated(new Date());
        return copy;
    }

    record Mutant(String kind, String where, DomainResource resource) {}

    /**
     * Systematic mutants of a resource: every element dropped, every repeatable element
     * duplicated, every primitive given wrong or unknown values, every coding an unknown code or
     * system, every reference another target type, every extension another value type, elements
     * holding only an id.
     */
    static final class Mutations {
        private static final List<String> REFERENCE_TYPES = List.of(
                "Patient",
                "Practitioner",
                "PractitionerRole",
                "Organization",
                "RelatedPerson",
                "Device",
                "CareTeam",
                "Goal");

        private final DomainResource original;
        private final List<Mutant> mutants = new ArrayList<>();

        private Mutations(DomainResource original) {
            this.original = original;
        }

        static List<Mutant> of(DomainResource original) {
            Mutations mutations = new Mutations(original);
            mutations.walk(original, original.fhirType(), new ArrayList<>());
            String root = original.fhirType();
            List<Object[]> none = List.of();
            mutations.mutate(
                    "implicit-rules", root, none, r -> ((Resource) r).setImplicitRules("http://example.org/rules"));
            mutations.mutate("language", root, none, r -> ((Resource) r).setLanguage("sv"));
            mutations.mutate("language-unknown", root, none, r -> ((Resource) r).setLanguage("xx-no-such"));
            mutations.mutate(
                    "contained", root, none, r -> ((DomainResource) r).addContained(new org.hl7.fhir.r4.model.Basic()));
            mutations.mutate("modifier-extension", root, none, r -> ((DomainResource) r)
                    .addModifierExtension(new Extension(
                            "https://patientkontrakt.se/fhir/StructureDefinition/pk-agreement-pending",
                            new BooleanType(true))));
            mutations.mutate("narrative-script", root, none, r -> ((DomainResource) r)
                    .getText()
                    .setDivAsString(
                            "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Text</p><script>x()</script></div>"));
            mutations.mutate("narrative-blank", root, none, r -> ((DomainResource) r)
                    .getText()
                    .setDivAsString("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p> </p></div>"));
            return mutations.mutants;
        }

        /** Visits every child value; {@code route} is the list of (property, index) steps from the root. */
        private void walk(Base base, String path, List<Object[]> route) {
            for (Property property : base.children()) {
                List<Base> values = property.getValues();
                for (int i = 0; i < values.size(); i++) {
                    Base value = values.get(i);
                    if (value == null || value.isEmpty()) {
                        continue;
                    }
                    List<Object[]> here = new ArrayList<>(route);
                    here.add(new Object[] {property.getName(), i});
                    String at = path + "." + property.getName() + "[" + i + "]";
                    if (property.getName().equals("id") && route.isEmpty()) {
                        continue;
                    }
                    mutateValue(value, property, here, at);
                    if (!value.isPrimitive() && !(value instanceof Resource)) {
                        walk(value, at, here);
                    }
                }
                if (property.getMaxCardinality() > 1
                        && !property.getValues().isEmpty()
                        && !property.getName().equals("contained")) {
                    String name = property.getName();
                    List<Object[]> parentRoute = route;
                    mutate("duplicated", path + "." + name, parentRoute, parent -> {
                        Base first = values(parent, name)[0];
                        parent.setProperty(name, first.copy());
                    });
                    mutate("empty-with-id", path + "." + name, parentRoute, parent -> {
                        Base added = parent.addChild(name);
                        if (added instanceof Element element) {
                            element.setId("only-an-id");
                        }
                    });
                }
            }
        }

        private void mutateValue(Base value, Property property, List<Object[]> route, String at) {
            mutateParent("dropped", at, route, parent -> remove(parent, route.get(route.size() - 1)));
            if (value instanceof PrimitiveType<?> primitive) {
                String text = primitive.getValueAsString();
                String type = value.fhirType();
                switch (type) {
                    case "code" -> {
                        set("unknown-code", at, route, "no-such-code");
                        set("code-with-space", at, route, "no such code");
                    }
                    case "uri", "url", "canonical" -> {
                        set("unknown-uri", at, route, "http://example.org/unknown");
                        set("uri-with-space", at, route, "http://example.org/un known");
                    }
                    case "boolean" -> set("flipped", at, route, String.valueOf(!"true".equals(text)));
                    case "date", "dateTime", "instant" -> {
                        set("date-early", at, route, type.equals("instant") ? "1900-01-01T00:00:00Z" : "1900-01-01");
                        set("date-late", at, route, type.equals("instant") ? "2999-12-31T00:00:00Z" : "2999-12-31");
                    }
                    case "time" -> set("time-changed", at, route, "23:59:00");
                    case "id" -> set("id-invalid", at, route, "not/an id");
                    case "positiveInt", "unsignedInt", "integer" -> set("number-changed", at, route, "0");
                    default -> {
                        set("text-changed", at, route, "Ändrad text");
                        set("text-empty", at, route, "");
                        set("text-padded", at, route, " " + text + " ");
                        if (text != null && text.matches("[0-9]{12}")) {
                            char last = text.charAt(11);
                            set("check-digit", at, route, text.substring(0, 11) + (char) ('0' + (last - '0' + 1) % 10));
                        }
                        if (text != null && text.matches("SE[0-9]{10}-.*")) {
                            set("hsa-id-malformed", at, route, text.replace("-", ""));
                        }
                    }
                }
            }
            if (value instanceof Coding) {
                mutate("unknown-system", at, route, target -> ((Coding) target)
                        .setSystem("http://example.org/unknown"));
                mutate("unknown-code", at, route, target -> ((Coding) target).setCode("no-such-code"));
                mutate("wrong-display", at, route, target -> ((Coding) target).setDisplay("Fel visningsnamn"));
                mutate("with-version", at, route, target -> ((Coding) target).setVersion("9"));
                mutate("snomed-other", at, route, target -> ((Coding) target)
                        .setSystem("http://snomed.info/sct")
                        .setCode("1234567"));
            }
            if (value instanceof Reference reference && reference.hasReference()) {
                String id = reference
                        .getReference()
                        .substring(reference.getReference().indexOf('/') + 1);
                for (String type : REFERENCE_TYPES) {
                    if (!reference.getReference().startsWith(type + "/")) {
                        mutate("reference-" + type, at, route, target -> ((Reference) target)
                                .setReference(type + "/" + id));
                    }
                }
                mutate("reference-absolute", at, route, target -> ((Reference) target)
                        .setReference("http://example.org/fhir/" + reference.getReference()));
            }
            if (value instanceof Extension extension && extension.hasValue()) {
                mutate("extension-string", at, route, target -> ((Extension) target).setValue(new StringType("x")));
                mutate("extension-boolean", at, route, target -> ((Extension) target).setValue(new BooleanType(true)));
                mutate("extension-coding", at, route, target -> ((Extension) target)
                        .setValue(new Coding(
                                "https://patientkontrakt.se/fhir/CodeSystem/pk-activity-kind", "escalation", null)));
                mutate("extension-unknown-url", at, route, target -> ((Extension) target)
                        .setUrl("https://patientkontrakt.se/fhir/StructureDefinition/no-such-extension"));
            }
            if (value instanceof Element element && !value.isPrimitive()) {
                mutate("extension-added", at, route, target -> ((Element) target)
                        .addExtension(
                                "https://patientkontrakt.se/fhir/StructureDefinition/pk-agreement-pending",
                                new BooleanType(true)));
            }
        }

        private void set(String kind, String at, List<Object[]> route, String text) {
            mutate(kind, at, route, target -> {
                try {
                    ((PrimitiveType<?>) target).setValueAsString(text);
                } catch (RuntimeException e) {
                    throw new NotApplicable();
                }
            });
        }

        /** A copy of the original with {@code change} applied to the value at the route. */
        private void mutate(String kind, String at, List<Object[]> route, Consumer<Base> change) {
            DomainResource copy = (DomainResource) original.copy();
            try {
                Base target = follow(copy, route);
                change.accept(target);
            } catch (NotApplicable | UnsupportedOperationException e) {
                return;
            } catch (RuntimeException e) {
                return; // the model refuses the change (e.g. a value it cannot hold): not a mutant
            }
            mutants.add(new Mutant(kind, at, copy));
        }

        /** As {@link #mutate}, with the parent of the value at the route. */
        private void mutateParent(String kind, String at, List<Object[]> route, Consumer<Base> change) {
            mutate(kind, at, route.subList(0, route.size() - 1), change);
        }

        /** Removes the value of the step from its parent, through HAPI's model definitions. */
        private static void remove(Base parent, Object[] step) {
            String name = (String) step[0];
            var definition = parent instanceof IBaseResource resource
                    ? FHIR.getResourceDefinition(resource)
                    : FHIR.getElementDefinition(((org.hl7.fhir.instance.model.api.IBase) parent).getClass());
            var child = definition.getChildByName(name);
            if (child == null) {
                throw new NotApplicable();
            }
            if (child.getMax() == 1) {
                child.getMutator().setValue(parent, null);
            } else {
                child.getAccessor().getValues(parent).remove((int) step[1]);
            }
        }

        private static Base[] values(Base parent, String name) {
            for (Property property : parent.children()) {
                if (property.getName().equals(name)) {
                    return property.getValues().toArray(Base[]::new);
                }
            }
            throw new NotApplicable();
        }

        private static Base follow(Base root, List<Object[]> route) {
            Base at = root;
            for (Object[] step : route) {
                at = values(at, (String) step[0])[(int) step[1]];
            }
            return at;
        }
    }

    private static final class NotApplicable extends RuntimeException {}
}
