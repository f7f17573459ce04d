package se.patientkontrakt.fhir.hapi;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.ConceptValidationOptions;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.context.support.ValidationSupportContext;
import ca.uhn.fhir.context.support.ValueSetExpansionOptions;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.context.IWorkerContext;
import org.hl7.fhir.r4.fhirpath.BaseHostServices;
import org.hl7.fhir.r4.fhirpath.ExpressionNode;
import org.hl7.fhir.r4.fhirpath.FHIRPathEngine;
import org.hl7.fhir.r4.hapi.ctx.HapiWorkerContext;
import org.hl7.fhir.r4.model.Base;
import org.hl7.fhir.r4.model.CanonicalType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.ElementDefinition;
import org.hl7.fhir.r4.model.ElementDefinition.ConstraintSeverity;
import org.hl7.fhir.r4.model.ElementDefinition.DiscriminatorType;
import org.hl7.fhir.r4.model.ElementDefinition.ElementDefinitionConstraintComponent;
import org.hl7.fhir.r4.model.ElementDefinition.ElementDefinitionSlicingDiscriminatorComponent;
import org.hl7.fhir.r4.model.ElementDefinition.SlicingRules;
import org.hl7.fhir.r4.model.ElementDefinition.TypeRefComponent;
import org.hl7.fhir.r4.model.Enumerations.BindingStrength;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Meta;
import org.hl7.fhir.r4.model.Narrative;
import org.hl7.fhir.r4.model.PrimitiveType;
import org.hl7.fhir.r4.model.Property;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StructureDefinition;
import org.hl7.fhir.r4.model.StructureDefinition.StructureDefinitionContextComponent;
import org.hl7.fhir.r4.model.StructureDefinition.StructureDefinitionKind;
import org.hl7.fhir.r4.model.ValueSet;
import org.hl7.fhir.utilities.xhtml.NodeType;
import org.hl7.fhir.utilities.xhtml.XhtmlNode;

/**
 * Our profiles compiled once into a checker that looks at HAPI's parsed R4 resource directly: no
 * re-encoding to JSON, no HL7 element model. Its verdict is {@link Verdict#ACCEPT} or a referral to
 * the HL7 validator, never a rejection of its own: whatever it finds wrong, and whatever it does
 * not understand (a construct it does not compile, a definition or code system it cannot answer
 * for, a narrative it cannot vouch for, an exception), is referred, and the HL7 validator's answer
 * is the answer. So the only way it can differ from the HL7 validator is by accepting what that
 * one would refuse, which {@code CompiledCheckerDifferentialTest} hunts for.
 *
 * <p>Each StructureDefinition (with its snapshot) becomes a tree of {@link Node}s: cardinalities,
 * types, fixed and pattern values, slices (by value or pattern, and extension url), bindings
 * (required and extensible: the value set expanded once in memory), reference target types, and
 * every FHIRPath constraint of severity error parsed once with the R4 FHIRPath engine and evaluated
 * on the model objects (one asking for {@code today()} parsed once a day, with the day in Sweden
 * written in: {@link SwedishToday}). Elements the profile does not expand are checked against their type's
 * definition (FHIR core), so base constraints (ele-1, ext-1, per-1, …) hold everywhere.
 */
public final class CompiledProfileChecker {

    /** ACCEPT, or the reason for referring the resource to the HL7 validator. */
    public record Verdict(boolean accepted, String referral) {
        public static final Verdict ACCEPT = new Verdict(true, null);

        static Verdict refer(String reason) {
            return new Verdict(false, reason);
        }
    }

    private static final String REGEX_EXTENSION = "http://hl7.org/fhir/StructureDefinition/regex";
    private static final String SYSTEM_TYPE = "http://hl7.org/fhirpath/System.";
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");
    private static final Pattern RELATIVE_REFERENCE =
            Pattern.compile("([A-Z][A-Za-z]+)/[A-Za-z0-9\\-.]{1,64}(/_history/[A-Za-z0-9\\-.]{1,64})?");
    private static final int MAX_CACHED_CODES = 10_000;

    /** Narrative elements and attributes the checker vouches for; anything else is referred. */
    private static final Set<String> XHTML_ELEMENTS = Set.of(
            "div", "p", "span", "b", "i", "em", "strong", "br", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
            "table", "thead", "tbody", "tr", "td", "th", "caption", "small", "sub", "sup", "code", "pre");

    private static final Set<String> XHTML_ATTRIBUTES = Set.of("class", "lang", "xml:lang", "title", "dir");

    private final IValidationSupport support;
    /** Parses the constraints; evaluation uses one engine per thread, as the engine keeps state. */
    private final FHIRPathEngine fhirPath;

    private final ThreadLocal<FHIRPathEngine> evaluators;
    private final Map<String, Definition> definitions = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> expansions = new ConcurrentHashMap<>();
    private final Map<String, Pattern> primitiveFormats = new ConcurrentHashMap<>();
    private final Map<String, Boolean> knownCodes = new ConcurrentHashMap<>();
    private final Map<String, Boolean> knownSystems = new ConcurrentHashMap<>();
    private final Set<String> vouchedCodings;
    /** The day in Sweden, for the constraints that ask for today. */
    private final Supplier<LocalDate> today;

    private volatile ParsedForDay parsedForDay = new ParsedForDay(LocalDate.MIN, Map.of());

    /** The constraints asking for today, parsed with that day written in, by their text. */
    private record ParsedForDay(LocalDate day, Map<String, ExpressionNode> byExpression) {}

    /**
     * @param vouchedCodings {@code system|code} pairs that the profiles themselves fix (pattern and
     *     fixed codings, such as SNOMED CT 734163000), from a code system the in-memory chain
     *     cannot answer for: every valid contract carries them, the HL7 validator accepts them in
     *     every example, and any other code of such a system is referred
     */
    CompiledProfileChecker(
            FhirContext fhirContext,
            IValidationSupport support,
            Collection<String> profileUrls,
            Supplier<LocalDate> today) {
        this.support = support;
        this.today = today;
        HapiWorkerContext worker = new HapiWorkerContext(fhirContext, support);
        this.fhirPath = newEngine(worker);
        this.evaluators = ThreadLocal.withInitial(() -> newEngine(worker));
        Set<String> vouched = new HashSet<>();
        for (String url : profileUrls) {
            Definition definition = definition(url);
            if (definition == null) {
                throw new IllegalStateException("No snapshot to compile for " + url);
            }
            collectFixedCodings(definition.structure, vouched);
        }
        this.vouchedCodings = Set.copyOf(vouched);
    }

    /** The verdict on the resource against the given profiles and those it declares. */
    public Verdict check(IBaseResource resource, Collection<String> profiles) {
        if (!(resource instanceof DomainResource domainResource)) {
            return Verdict.refer("not a domain resource");
        }
        Set<String> urls = new LinkedHashSet<>(profiles);
        domainResource.getMeta().getProfile().forEach(p -> urls.add(p.getValue()));
        if (domainResource.hasImplicitRules()) {
            return Verdict.refer("implicitRules: rules the checker does not know");
        }
        try {
            noDuplicateLabels(domainResource.getMeta());
            for (String url : urls) {
                Definition definition = definitions.get(url);
                if (definition == null || definition.structure.getKind() != StructureDefinitionKind.RESOURCE) {
                    return Verdict.refer("profile not compiled: " + url);
                }
                if (!definition.structure.getType().equals(domainResource.fhirType())) {
                    return Verdict.refer("profile " + url + " is for " + definition.structure.getType());
                }
                new Walk(domainResource).element(domainResource, definition.root, domainResource.fhirType(), null);
            }
            return Verdict.ACCEPT;
        } catch (Refer refer) {
            return Verdict.refer(refer.getMessage());
        } catch (RuntimeException e) {
            return Verdict.refer("checker failed: " + e);
        }
    }

    /** The HL7 validator refuses a security label, tag or profile given twice. */
    private static void noDuplicateLabels(Meta meta) {
        Set<String> seen = new HashSet<>();
        for (Coding label : meta.getSecurity()) {
            if (!seen.add("security " + label.getSystem() + "|" + label.getCode())) {
                throw new Refer("meta.security: a label twice");
            }
        }
        for (Coding tag : meta.getTag()) {
            if (!seen.add("tag " + tag.getSystem() + "|" + tag.getCode())) {
                throw new Refer("meta.tag: a tag twice");
            }
        }
        for (CanonicalType profile : meta.getProfile()) {
            if (!seen.add("profile " + profile.getValue())) {
                throw new Refer("meta.profile: a profile twice");
            }
        }
    }

    // ---------------------------------------------------------------- compiling

    private static FHIRPathEngine newEngine(IWorkerContext worker) {
        FHIRPathEngine engine = new FHIRPathEngine(worker);
        engine.setHostServices(new NothingResolves(worker));
        return engine;
    }

    private Definition definition(String url) {
        Definition known = definitions.get(url);
        if (known != null) {
            return known;
        }
        IBaseResource fetched = support.fetchStructureDefinition(url);
        if (!(fetched instanceof StructureDefinition structure) || !structure.hasSnapshot()) {
            return null;
        }
        Definition compiled = new Definition(structure, compile(structure));
        definitions.putIfAbsent(url, compiled);
        return compiled;
    }

    private Definition typeDefinition(String type) {
        return definition(type.contains(":") ? type : "http://hl7.org/fhir/StructureDefinition/" + type);
    }

    private Node compile(StructureDefinition structure) {
        Map<String, Node> byId = new HashMap<>();
        Node root = null;
        for (ElementDefinition element : structure.getSnapshot().getElement()) {
            String id = element.hasId() ? element.getId() : element.getPath();
            Node node = new Node(element);
            byId.put(id, node);
            int dot = id.lastIndexOf('.');
            if (dot < 0) {
                root = node;
                continue;
            }
            String last = id.substring(dot + 1);
            int colon = last.indexOf(':');
            if (colon >= 0) {
                Node sliced = byId.get(id.substring(0, dot + 1 + colon));
                if (sliced == null || last.contains("/") || last.contains("@")) {
                    throw new IllegalStateException("Cannot place slice " + id + " of " + structure.getUrl());
                }
                sliced.slices.add(node);
                node.name = sliced.name;
            } else {
                Node parent = byId.get(id.substring(0, dot));
                if (parent == null) {
                    throw new IllegalStateException("Cannot place " + id + " of " + structure.getUrl());
                }
                node.name = last;
                parent.children.put(last, node);
            }
        }
        if (root == null) {
            throw new IllegalStateException("No root element in " + structure.getUrl());
        }
        root.extensionRoot = "Extension".equals(structure.getType());
        byId.values().forEach(this::compileNode);
        return root;
    }

    private void compileNode(Node node) {
        ElementDefinition element = node.element;
        node.min = element.getMin();
        node.max = "*".equals(element.getMax()) ? Integer.MAX_VALUE : Integer.parseInt(element.getMax());
        if (element.hasContentReference()) {
            node.unsupported = "content reference " + element.getContentReference();
        }
        for (TypeRefComponent type : element.getType()) {
            String code = type.getWorkingCode();
            node.types.add(code);
            if ("Reference".equals(code) || "canonical".equals(code)) {
                for (CanonicalType target : type.getTargetProfile()) {
                    node.targetTypes.add(resourceTypeOf(target.getValue()));
                }
            }
        }
        if (element.hasFixed()) {
            node.fixed = element.getFixed();
            if (!node.fixed.isPrimitive()) {
                node.unsupported = "fixed complex value";
            }
        }
        if (element.hasPattern()) {
            node.pattern = element.getPattern();
        }
        if (element.hasMaxLength()) {
            node.maxLength = element.getMaxLength();
        }
        if (element.hasSlicing()) {
            ElementDefinition.ElementDefinitionSlicingComponent slicing = element.getSlicing();
            node.closed = slicing.getRules() == SlicingRules.CLOSED;
            for (ElementDefinitionSlicingDiscriminatorComponent discriminator : slicing.getDiscriminator()) {
                if (discriminator.getType() != DiscriminatorType.VALUE
                        && discriminator.getType() != DiscriminatorType.PATTERN) {
                    node.unsupported = "slicing by " + discriminator.getType().toCode();
                }
                node.discriminators.add(discriminator.getPath());
            }
            if (slicing.getOrdered()) {
                node.unsupported = "ordered slicing";
            }
        }
        if (element.hasBinding() && element.getBinding().hasValueSet()) {
            BindingStrength strength = element.getBinding().getStrength();
            if (strength == BindingStrength.REQUIRED || strength == BindingStrength.EXTENSIBLE) {
                node.valueSet = element.getBinding().getValueSet();
                node.bindingStrength = strength;
            }
            if (element.getBinding()
                    .hasExtension("http://hl7.org/fhir/StructureDefinition/elementdefinition-maxValueSet")) {
                node.valueSet = element.getBinding().getValueSet();
                node.bindingStrength = BindingStrength.REQUIRED; // a maximum set: referred unless within it
                node.unsupported = "maximum value set";
            }
        }
        for (ElementDefinitionConstraintComponent constraint : element.getConstraint()) {
            if (constraint.getSeverity() != ConstraintSeverity.ERROR) {
                continue;
            }
            switch (constraint.getKey()) {
                case "ele-1", "ext-1", "txt-1", "txt-2" -> node.nativeChecks.add(constraint.getKey());
                default -> {
                    try {
                        String expression = constraint.getExpression();
                        node.invariants.add(new Invariant(
                                constraint.getKey(),
                                fhirPath.parse(expression),
                                SwedishToday.asksForToday(expression) ? expression : null));
                    } catch (RuntimeException e) {
                        node.unsupported = "constraint " + constraint.getKey() + " does not compile: " + e.getMessage();
                    }
                }
            }
        }
    }

    private String resourceTypeOf(String profileUrl) {
        if (profileUrl.startsWith("http://hl7.org/fhir/StructureDefinition/")) {
            return profileUrl.substring(profileUrl.lastIndexOf('/') + 1);
        }
        IBaseResource fetched = support.fetchStructureDefinition(profileUrl);
        return fetched instanceof StructureDefinition structure ? structure.getType() : "?" + profileUrl;
    }

    private static void collectFixedCodings(StructureDefinition structure, Set<String> into) {
        for (ElementDefinition element : structure.getSnapshot().getElement()) {
            List<org.hl7.fhir.r4.model.Type> values = new ArrayList<>();
            if (element.hasPattern()) {
                values.add(element.getPattern());
            }
            if (element.hasFixed()) {
                values.add(element.getFixed());
            }
            for (org.hl7.fhir.r4.model.Type value : values) {
                if (value instanceof Coding coding && coding.hasCode()) {
                    into.add(coding.getSystem() + "|" + coding.getCode());
                } else if (value instanceof CodeableConcept concept) {
                    concept.getCoding().stream()
                            .filter(Coding::hasCode)
                            .forEach(c -> into.add(c.getSystem() + "|" + c.getCode()));
                }
            }
        }
    }

    private Set<String> expansion(String valueSetUrl) {
        return expansions.computeIfAbsent(valueSetUrl, url -> {
            try {
                IBaseResource valueSet = support.fetchValueSet(url);
                if (valueSet == null && url.contains("|")) {
                    valueSet = support.fetchValueSet(url.substring(0, url.indexOf('|')));
                }
                if (valueSet == null) {
                    return Set.of();
                }
                IValidationSupport.ValueSetExpansionOutcome outcome = support.expandValueSet(
                        new ValidationSupportContext(support), new ValueSetExpansionOptions(), valueSet);
                if (outcome == null || !(outcome.getValueSet() instanceof ValueSet expanded)) {
                    return Set.of();
                }
                Set<String> codes = new HashSet<>();
                collect(expanded.getExpansion().getContains(), codes);
                return Set.copyOf(codes);
            } catch (RuntimeException e) {
                return Set.of();
            }
        });
    }

    private static void collect(List<ValueSet.ValueSetExpansionContainsComponent> contains, Set<String> into) {
        for (ValueSet.ValueSetExpansionContainsComponent c : contains) {
            if (c.hasCode()) {
                into.add(c.getSystem() + "|" + c.getCode());
                into.add("|" + c.getCode());
            }
            collect(c.getContains(), into);
        }
    }

    /** Whether the in-memory chain knows the code in its system; cached per system|code|display. */
    private boolean knownCode(Coding coding) {
        String key = coding.getSystem() + "|" + coding.getCode() + "|" + coding.getDisplay();
        Boolean known = knownCodes.get(key);
        if (known != null) {
            return known;
        }
        boolean answer;
        if (vouchedCodings.contains(coding.getSystem() + "|" + coding.getCode())) {
            answer = true;
        } else {
            try {
                IValidationSupport.CodeValidationResult result = support.validateCode(
                        new ValidationSupportContext(support),
                        new ConceptValidationOptions(),
                        coding.getSystem(),
                        coding.getCode(),
                        coding.getDisplay(),
                        null);
                answer = result != null
                        && result.isOk()
                        && (result.getSeverity() == null
                                || result.getSeverity().ordinal()
                                        >= IValidationSupport.IssueSeverity.WARNING.ordinal());
            } catch (RuntimeException e) {
                answer = false;
            }
        }
        if (knownCodes.size() < MAX_CACHED_CODES) {
            knownCodes.put(key, answer);
        }
        return answer;
    }

    private Pattern primitiveFormat(String type) {
        return primitiveFormats.computeIfAbsent(type, t -> {
            Definition definition = typeDefinition(t);
            if (definition == null) {
                return Pattern.compile("(?!)"); // unknown primitive type: nothing matches, so it is referred
            }
            for (ElementDefinition element : definition.structure.getSnapshot().getElement()) {
                if (element.getPath().equals(t + ".value")) {
                    for (TypeRefComponent typeRef : element.getType()) {
                        if (typeRef.hasExtension(REGEX_EXTENSION)) {
                            return Pattern.compile(typeRef.getExtensionString(REGEX_EXTENSION));
                        }
                    }
                }
            }
            return Pattern.compile("[\\s\\S]+");
        });
    }

    // ---------------------------------------------------------------- checking

    private final class Walk {
        private final Resource resource;

        Walk(Resource resource) {
            this.resource = resource;
        }

        /** The value against one element definition, and its children; host: where an extension sits. */
        void element(Base value, Node node, String path, Host host) {
            if (node.unsupported != null) {
                throw new Refer(path + ": " + node.unsupported);
            }
            if (node.fixed != null && !samePrimitive(value, node.fixed)) {
                throw new Refer(path + ": not the fixed value");
            }
            if (node.pattern != null && !containsPattern(value, node.pattern)) {
                throw new Refer(path + ": does not match the pattern");
            }
            if (node.valueSet != null) {
                binding(value, node, path);
            }
            if (value instanceof Coding coding) {
                coding(coding, node, path);
            }
            if (value instanceof Reference reference) {
                reference(reference, node, path);
            }
            if (value instanceof Narrative narrative) {
                narrative(narrative, path);
            }
            if (value instanceof Extension extension && !node.extensionRoot) {
                extension(extension, path, host);
            }
            if (value.isPrimitive()) {
                primitive(value, node, path);
            }
            nativeChecks(value, node, path);
            invariants(value, node, path);
            children(value, node, path);
        }

        private void invariants(Base value, Node node, String path) {
            for (Invariant invariant : node.invariants) {
                evaluate(value, invariant, path);
            }
        }

        private void evaluate(Base value, Invariant invariant, String path) {
            ExpressionNode expression =
                    invariant.daily() == null ? invariant.expression() : parsedForToday(invariant.daily());
            if (!evaluators.get().evaluateToBoolean(null, resource, resource, value, expression)) {
                throw new Refer(path + ": " + invariant.key());
            }
        }

        /** An extension with a url of its own is checked against its own definition, where it may be used. */
        private void extension(Extension extension, String path, Host host) {
            String url = extension.getUrl();
            if (url == null || !url.contains(":")) {
                return; // a part of a complex extension, checked by its slices
            }
            Definition definition = definition(url);
            if (definition == null || !definition.root.extensionRoot) {
                throw new Refer(path + ": unknown extension " + url);
            }
            if (host == null || !contextAllows(definition.structure, host)) {
                throw new Refer(path + ": extension " + url + " used out of its context");
            }
            element(extension, definition.root, path, host);
        }

        private void children(Base value, Node node, String path) {
            Map<String, Node> definitions = node.children;
            boolean ownType = value instanceof Resource || value.fhirType().contains(".");
            if (!ownType) {
                // A data type: its own definition's constraints (cpt-2, per-1, …) hold wherever it is
                // used, whether or not the profile expands its elements.
                Definition type = typeDefinition(value.fhirType());
                if (type == null) {
                    throw new Refer(path + ": no definition for type " + value.fhirType());
                }
                Node root = type.root;
                nativeChecks(value, root, path);
                for (Invariant invariant : root.invariants) {
                    if (node.invariants.stream().noneMatch(i -> i.key().equals(invariant.key()))) {
                        evaluate(value, invariant, path);
                    }
                }
                if (definitions.isEmpty()) {
                    definitions = root.children;
                }
            } else if (definitions.isEmpty()) {
                throw new Refer(path + ": no element definitions for " + value.fhirType());
            }
            Set<String> seen = new HashSet<>();
            for (Property property : value.children()) {
                String name = property.getName();
                seen.add(name);
                List<Base> values = new ArrayList<>();
                for (Base v : property.getValues()) {
                    if (v != null && !v.isEmpty()) {
                        values.add(v);
                    }
                }
                Node child = definitions.get(name);
                if (child == null) {
                    if (!values.isEmpty()) {
                        throw new Refer(path + "." + name + ": no element definition");
                    }
                    continue;
                }
                if (value instanceof Resource && name.equals("id")) {
                    if (((Resource) value).hasIdElement()
                            && !ID.matcher(((Resource) value).getIdElement().getIdPart())
                                    .matches()) {
                        throw new Refer(path + ".id: not an id");
                    }
                    continue;
                }
                if (value instanceof Narrative && name.equals("div")) {
                    continue; // the narrative check vouches for the div, or refers
                }
                if (name.equals("contained") && !property.getValues().isEmpty()) {
                    // Even an empty contained resource is written out (HAPI gives it an id).
                    throw new Refer(path + ".contained: present");
                }
                if (!values.isEmpty() && name.equals("modifierExtension")) {
                    throw new Refer(path + "." + name + ": present");
                }
                property(
                        values,
                        child,
                        path + "." + name.replace("[x]", ""),
                        new Host(node.element.getPath(), value.fhirType()));
            }
            for (Node child : definitions.values()) {
                if (child.min > 0 && !seen.contains(child.name)) {
                    throw new Refer(path + "." + child.name + ": required, and not an element of the model");
                }
            }
        }

        /** The values of one element: cardinality, types, slices, each value. */
        private void property(List<Base> values, Node node, String path, Host host) {
            if (values.size() < node.min || values.size() > node.max) {
                throw new Refer(path + ": " + values.size() + " values, allowed " + node.min + ".." + node.max);
            }
            if (values.isEmpty()) {
                return;
            }
            Node[] sliceOf = new Node[values.size()];
            if (!node.slices.isEmpty()) {
                int[] counts = new int[node.slices.size()];
                for (int i = 0; i < values.size(); i++) {
                    int match = -1;
                    for (int s = 0; s < node.slices.size(); s++) {
                        if (inSlice(values.get(i), node, node.slices.get(s))) {
                            if (match >= 0) {
                                throw new Refer(path + ": value in two slices");
                            }
                            match = s;
                        }
                    }
                    if (match >= 0) {
                        counts[match]++;
                        sliceOf[i] = node.slices.get(match);
                    } else if (node.closed) {
                        throw new Refer(path + ": value in no slice of a closed slicing");
                    }
                }
                for (int s = 0; s < counts.length; s++) {
                    Node slice = node.slices.get(s);
                    if (counts[s] < slice.min || counts[s] > slice.max) {
                        throw new Refer(path + ":" + slice.element.getSliceName() + ": " + counts[s] + " values");
                    }
                }
            } else if (node.element.hasSlicing()) {
                if (node.closed) {
                    throw new Refer(path + ": closed slicing without slices");
                }
            }
            for (int i = 0; i < values.size(); i++) {
                Base value = values.get(i);
                String at = node.max > 1 ? path + "[" + i + "]" : path;
                type(value, node, at);
                element(value, node, at, host);
                if (sliceOf[i] != null) {
                    type(value, sliceOf[i], at);
                    element(value, sliceOf[i], at, host);
                }
            }
        }

        private void type(Base value, Node node, String path) {
            if (node.types.isEmpty() || node.types.contains("BackboneElement") || node.types.contains("Element")) {
                return; // the root, or a backbone element (its class is the model's own)
            }
            String type = value.fhirType();
            for (String allowed : node.types) {
                if (allowed.equals(type) || allowed.startsWith(SYSTEM_TYPE)) {
                    return;
                }
            }
            throw new Refer(path + ": type " + type + " not allowed");
        }

        private boolean inSlice(Base value, Node sliced, Node slice) {
            for (String discriminator : sliced.discriminators) {
                Base expected = discriminatorValue(slice, discriminator);
                if (expected == null) {
                    throw new Refer(sliced.element.getPath() + ": cannot read discriminator " + discriminator);
                }
                boolean any = false;
                for (Base target : navigate(value, discriminator)) {
                    if (expected.isPrimitive() ? samePrimitive(target, expected) : containsPattern(target, expected)) {
                        any = true;
                        break;
                    }
                }
                if (!any) {
                    return false;
                }
            }
            return true;
        }
    }

    /** The fixed or pattern value a slice has at the discriminator's path, or its extension's url. */
    private Base discriminatorValue(Node slice, String path) {
        Node at = slice;
        if (!path.equals("$this")) {
            for (String step : path.split("\\.")) {
                Node next = at.children.get(step);
                if (next == null) {
                    if (step.equals("url") && at.types.contains("Extension") && at == slice) {
                        for (TypeRefComponent type : slice.element.getType()) {
                            if (type.hasProfile()) {
                                return new org.hl7.fhir.r4.model.UriType(
                                        type.getProfile().get(0).getValue());
                            }
                        }
                    }
                    return null;
                }
                at = next;
            }
        }
        return at.fixed != null ? at.fixed : at.pattern;
    }

    private static List<Base> navigate(Base value, String path) {
        List<Base> current = List.of(value);
        if (path.equals("$this")) {
            return current;
        }
        for (String step : path.split("\\.")) {
            List<Base> next = new ArrayList<>();
            for (Base base : current) {
                Base[] children = base.listChildrenByName(step, false);
                if (children != null) {
                    for (Base child : children) {
                        if (child != null && !child.isEmpty()) {
                            next.add(child);
                        }
                    }
                }
            }
            current = next;
        }
        return current;
    }

    private static boolean samePrimitive(Base value, Base expected) {
        if (!value.isPrimitive() || !expected.isPrimitive()) {
            return false;
        }
        return expected.primitiveValue().equals(value.primitiveValue());
    }

    /** The instance contains the pattern: every value the pattern has, the instance has too. */
    private static boolean containsPattern(Base value, Base pattern) {
        if (pattern.isPrimitive()) {
            return samePrimitive(value, pattern);
        }
        if (!value.fhirType().equals(pattern.fhirType())) {
            return false;
        }
        for (Property property : pattern.children()) {
            for (Base wanted : property.getValues()) {
                if (wanted == null || wanted.isEmpty()) {
                    continue;
                }
                boolean found = false;
                for (Base had : value.getProperty(property.getName().hashCode(), property.getName(), false)) {
                    if (had != null && containsPattern(had, wanted)) {
                        found = true;
                        break;
                    }
                }
                if (!found) {
                    return false;
                }
            }
        }
        return true;
    }

    private void binding(Base value, Node node, String path) {
        if (node.bindingStrength == BindingStrength.EXTENSIBLE
                && value instanceof Coding coding
                && isMetaLabel(node)
                && !knowsSystem(coding.getSystem())) {
            return; // a label of a code system of our own making (the owner labels): see knownCode
        }
        Set<String> codes = expansion(node.valueSet);
        if (codes.isEmpty()) {
            throw new Refer(path + ": value set not expanded: " + node.valueSet);
        }
        if (value instanceof CodeableConcept concept) {
            if (!concept.hasCoding()) {
                throw new Refer(path + ": no coding for a bound concept");
            }
            for (Coding coding : concept.getCoding()) {
                if (!codes.contains(coding.getSystem() + "|" + coding.getCode())) {
                    throw new Refer(path + ": coding not in " + node.valueSet);
                }
            }
        } else if (value instanceof Coding coding) {
            if (!codes.contains(coding.getSystem() + "|" + coding.getCode())) {
                throw new Refer(path + ": coding not in " + node.valueSet);
            }
        } else if (value.isPrimitive() && ("code".equals(value.fhirType()))) {
            if (!codes.contains("|" + value.primitiveValue())) {
                throw new Refer(path + ": code not in " + node.valueSet);
            }
        } else if (!(value instanceof Extension) && !(value instanceof Reference)) {
            throw new Refer(path + ": binding on a " + value.fhirType());
        }
    }

    private void coding(Coding coding, Node node, String path) {
        if (coding.hasVersion() || coding.hasUserSelected() || !coding.hasSystem() || !coding.hasCode()) {
            throw new Refer(path + ": a coding the checker does not vouch for");
        }
        if (isMetaLabel(node) && !knowsSystem(coding.getSystem())) {
            return; // the HL7 validator accepts labels of systems it does not know (the owner labels)
        }
        if (!knownCode(coding)) {
            throw new Refer(path + ": code " + coding.getSystem() + "|" + coding.getCode() + " not known in memory");
        }
    }

    private static boolean isMetaLabel(Node node) {
        String path = node.element.getPath();
        return path.endsWith(".meta.security")
                || path.endsWith(".meta.tag")
                || path.equals("Meta.security")
                || path.equals("Meta.tag");
    }

    /** Whether the chain holds the code system (or can answer for it), whatever the code. */
    private boolean knowsSystem(String system) {
        if (system == null) {
            return false;
        }
        return knownSystems.computeIfAbsent(system, s -> {
            try {
                return support.fetchCodeSystem(s) != null
                        || support.isCodeSystemSupported(new ValidationSupportContext(support), s);
            } catch (RuntimeException e) {
                return true; // not known to be unknown: the code is checked, and referred if it cannot be
            }
        });
    }

    private static void reference(Reference reference, Node node, String path) {
        if (reference.hasType() || reference.getReferenceElement_().hasExtension()) {
            throw new Refer(path + ": reference with a type");
        }
        if (!reference.hasReference()) {
            return;
        }
        var matcher = RELATIVE_REFERENCE.matcher(reference.getReference());
        if (!matcher.matches()) {
            throw new Refer(path + ": not a relative reference");
        }
        if (!node.targetTypes.isEmpty()
                && !node.targetTypes.contains(matcher.group(1))
                && !node.targetTypes.contains("Resource")) {
            throw new Refer(path + ": reference to a " + matcher.group(1));
        }
    }

    private static void narrative(Narrative narrative, String path) {
        XhtmlNode div = narrative.getDiv();
        if (div == null || !"div".equals(div.getName()) || !div.hasChildren()) {
            throw new Refer(path + ": narrative without content");
        }
        for (String attribute : div.getAttributes().keySet()) {
            if (!attribute.equals("xmlns") && !XHTML_ATTRIBUTES.contains(attribute)) {
                throw new Refer(path + ": narrative attribute " + attribute);
            }
        }
        String xmlns = div.getAttribute("xmlns");
        if (xmlns != null && !xmlns.equals("http://www.w3.org/1999/xhtml")) {
            throw new Refer(path + ": narrative namespace");
        }
        StringBuilder text = new StringBuilder();
        xhtml(div, path, text);
        if (text.toString().isBlank()) {
            throw new Refer(path + ": narrative without text");
        }
    }

    private static void xhtml(XhtmlNode node, String path, StringBuilder text) {
        for (XhtmlNode child : node.getChildNodes()) {
            if (child.getNodeType() == NodeType.Text) {
                text.append(child.getContent());
            } else if (child.getNodeType() == NodeType.Element) {
                if (!XHTML_ELEMENTS.contains(child.getName())) {
                    throw new Refer(path + ": narrative element " + child.getName());
                }
                for (String attribute : child.getAttributes().keySet()) {
                    if (!XHTML_ATTRIBUTES.contains(attribute)) {
                        throw new Refer(path + ": narrative attribute " + attribute);
                    }
                }
                xhtml(child, path, text);
            } else if (child.getNodeType() != NodeType.Comment) {
                throw new Refer(path + ": narrative node " + child.getNodeType());
            }
        }
    }

    private void primitive(Base value, Node node, String path) {
        String text = value.primitiveValue();
        if (text == null || text.isEmpty()) {
            if (value instanceof PrimitiveType<?> primitive && primitive.hasExtension()) {
                return;
            }
            throw new Refer(path + ": empty value");
        }
        if (node.maxLength > 0 && text.length() > node.maxLength) {
            throw new Refer(path + ": longer than " + node.maxLength);
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 && c != '\t' && c != '\r' && c != '\n') {
                throw new Refer(path + ": control character");
            }
        }
        String type = value.fhirType();
        if ((type.equals("uri") || type.equals("url") || type.equals("canonical")) && hasWhitespace(text)) {
            throw new Refer(path + ": whitespace in a uri");
        }
        if (!text.equals(text.strip()) && !type.equals("string") && !type.equals("markdown")) {
            throw new Refer(path + ": surrounding whitespace");
        }
        if (!primitiveFormat(type).matcher(text).matches()) {
            throw new Refer(path + ": not a valid " + type);
        }
    }

    /** Whether the text holds a character of the regular expression class {@code \s}, without compiling one. */
    private static boolean hasWhitespace(String text) {
        for (int i = 0; i < text.length(); i++) {
            switch (text.charAt(i)) {
                case ' ', '\t', '\n', '\013', '\f', '\r' -> {
                    return true;
                }
                default -> {}
            }
        }
        return false;
    }

    private static void nativeChecks(Base value, Node node, String path) {
        for (String key : node.nativeChecks) {
            switch (key) {
                case "ele-1" -> {
                    boolean ok = value.isPrimitive()
                            ? value.hasPrimitiveValue() || !value.isEmpty()
                            : value.children().stream()
                                    .anyMatch(p -> !p.getName().equals("id")
                                            && p.getValues().stream().anyMatch(v -> v != null && !v.isEmpty()));
                    if (!ok) {
                        throw new Refer(path + ": ele-1");
                    }
                }
                case "ext-1" -> {
                    if (value instanceof Extension extension && extension.hasExtension() == extension.hasValue()) {
                        throw new Refer(path + ": ext-1");
                    }
                }
                default -> {
                    // txt-1 and txt-2: the narrative check vouches for the div
                }
            }
        }
    }

    /** The constraint with today's day in Sweden written in, parsed once a day. */
    private ExpressionNode parsedForToday(String expression) {
        LocalDate day = today.get();
        ParsedForDay parsed = parsedForDay;
        if (!parsed.day().equals(day)) {
            parsed = new ParsedForDay(day, new ConcurrentHashMap<>());
            parsedForDay = parsed;
        }
        return parsed.byExpression()
                .computeIfAbsent(expression, e -> evaluators.get().parse(SwedishToday.writtenFor(e, day)));
    }

    // ---------------------------------------------------------------- model

    private record Definition(StructureDefinition structure, Node root) {}

    /**
     * A constraint, parsed; {@code daily} is its text when it asks for today, to be parsed each day
     * with the day written in.
     */
    private record Invariant(String key, ExpressionNode expression, String daily) {}

    /** The element an extension sits on: its definition's path and its type. */
    private record Host(String path, String type) {}

    private static final class Node {
        final ElementDefinition element;
        String name;
        final Map<String, Node> children = new LinkedHashMap<>();
        final List<Node> slices = new ArrayList<>();
        final List<String> discriminators = new ArrayList<>();
        boolean closed;
        int min;
        int max;
        int maxLength;
        final Set<String> types = new LinkedHashSet<>();
        final Set<String> targetTypes = new HashSet<>();
        Base fixed;
        Base pattern;
        String valueSet;
        BindingStrength bindingStrength;
        final List<String> nativeChecks = new ArrayList<>();
        final List<Invariant> invariants = new ArrayList<>();
        String unsupported;
        boolean extensionRoot;

        Node(ElementDefinition element) {
            this.element = element;
        }
    }

    /** Refers the resource to the HL7 validator; no stack trace, it is a verdict, not a fault. */
    private static final class Refer extends RuntimeException {
        Refer(String reason) {
            super(reason, null, false, false);
        }
    }

    /**
     * resolve() finds nothing, as for the HL7 validator, which is given no resolver here;
     * conformsTo(), memberOf() and unknown constants or functions fail, and so refer.
     */
    private static final class NothingResolves extends BaseHostServices {
        NothingResolves(IWorkerContext context) {
            super(context);
        }

        @Override
        public boolean log(String argument, List<Base> focus) {
            return false;
        }

        @Override
        public Base resolveReference(FHIRPathEngine engine, Object appContext, String url, Base refContext) {
            return null;
        }

        @Override
        public boolean conformsToProfile(FHIRPathEngine engine, Object appContext, Base item, String url) {
            throw new Refer("conformsTo() in a constraint");
        }

        @Override
        public ValueSet resolveValueSet(FHIRPathEngine engine, Object appContext, String url) {
            throw new Refer("memberOf() in a constraint");
        }

        @Override
        public boolean paramIsType(String name, int index) {
            return false;
        }
    }

    private static boolean contextAllows(StructureDefinition extension, Host host) {
        for (StructureDefinitionContextComponent context : extension.getContext()) {
            String expression = context.getExpression();
            if (context.getType() == StructureDefinition.ExtensionContextType.ELEMENT
                    && (expression.equals(host.path()) || expression.equals(host.type()))) {
                return true;
            }
        }
        return false;
    }
}
