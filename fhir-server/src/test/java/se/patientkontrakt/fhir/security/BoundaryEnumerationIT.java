package se.patientkontrakt.fhir.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestResourceComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestResourceSearchParamComponent;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import se.patientkontrakt.fhir.contract.Vocabulary;

/**
 * The patient boundary, enumerated rather than sampled: every resource type the server says it
 * serves ({@code /metadata}), every interaction it lists for the type, every search parameter,
 * every {@code _include} and {@code _revinclude}, every operation, each also inside a batch and a
 * transaction, with conditional headers and {@code Prefer} variants, asked with a patient token of
 * a database that holds another patient and a contract not approved for the patient.
 *
 * <p>The same enumeration runs a second time as a care user under Patientdatalagen: a user at a
 * unit of the region (Akutmottagningen, Kalmar) with no care relationship to any patient here and
 * no consent from any, with read scopes. Such a user may read who a patient is (the Patient
 * resource) and what is no one's data, and nothing of any patient's contracts, teams, goals,
 * consents or logs; every answer must show exactly that, and every probe naming such data must get
 * the answer that naming nothing gets.
 *
 * <p>Every answer must hold: no 5xx; no id, name or personnummer of another patient or of the
 * draft, in the body or a header, unless the request named it; nothing a patient may not see
 * (checked against this test's own reading of the rules, not the server's); a search's
 * {@code total} equal to what it shows, and {@code _summary=count} equal to it. Where a probe names
 * another patient's data, the same probe naming data that does not exist must get the same answer
 * (status, matches, total, words): another patient's data is indistinguishable from none.
 *
 * <p>A new search parameter or operation fails this suite until it is declared in
 * {@code src/test/resources/boundary/probes.txt}, with the kind of value that probes it (which
 * foreign and which absent value to send); a declared one the server no longer lists fails too.
 */
class BoundaryEnumerationIT extends SecuredFhirIT {

    private static final Path PROBES = Path.of("src/test/resources/boundary/probes.txt");

    /** What the probes file would say for the server as it is, to start from when it must change. */
    private static final Path SUGGESTED = Path.of("target/boundary-probes-suggested.txt");

    /** Types whose resources are no one's data: a patient may read them all. */
    private static final Set<String> PUBLIC = PatientView.PUBLIC_TYPES;

    private final java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();

    /** Whom the suite asks as. */
    private enum Asker {
        /** The patient of the world, with patient scopes. */
        PATIENT,
        /** A care user with no care relationship or consent to any patient in the database. */
        CARE
    }

    /** The care user's unit: of the region's care giver, and in no patient's care here. */
    static final String AKUTMOTTAGNINGEN_KALMAR = "SE2321000073-AKUT01";

    private Asker asker;
    private String token;
    private BoundaryWorld world;
    private Map<String, String> kinds;
    private Set<String> operations;
    private Map<String, String> operationKinds;

    @TestFactory
    Stream<DynamicTest> everyInteractionOfEveryTypeKeepsThePatientBoundary() throws IOException {
        return enumerate(Asker.PATIENT);
    }

    @TestFactory
    Stream<DynamicTest> everyReadOfEveryTypeKeepsCaresBoundaryUnderPatientdatalagen() throws IOException {
        return enumerate(Asker.CARE);
    }

    private Stream<DynamicTest> enumerate(Asker asker) throws IOException {
        this.asker = asker;
        world = BoundaryWorld.store(fhirContext, EHR);
        token = asker == Asker.PATIENT
                ? world.me
                : TestTokens.token(c -> c.subject("hsa-SE2321000073-A00901")
                        .claim("employeeHsaId", "SE2321000073-A00901")
                        .claim("healthCareUnitHsaId", AKUTMOTTAGNINGEN_KALMAR)
                        .claim("healthCareProviderHsaId", TestTokens.REGION_KALMAR)
                        .claim("commissionPurpose", "Vård och behandling")
                        .claim("scope", "openid user/*.rs"));
        CapabilityStatement capabilities = parse(fhir().when().get("/metadata"), CapabilityStatement.class);
        readDeclarations(capabilities);
        List<CapabilityStatementRestResourceComponent> types =
                capabilities.getRestFirstRep().getResource();

        List<DynamicTest> tests = new ArrayList<>();
        tests.add(DynamicTest.dynamicTest("every search parameter and operation is declared", () -> {
            Set<String> listed = new TreeSet<>();
            for (CapabilityStatementRestResourceComponent type : types) {
                type.getSearchParam().forEach(p -> listed.add(type.getType() + " " + p.getName()));
                type.getOperation().forEach(o -> listed.add("operation " + type.getType() + " " + o.getName()));
            }
            capabilities.getRestFirstRep().getOperation().forEach(o -> listed.add("operation system " + o.getName()));
            Set<String> declared = new TreeSet<>(kinds.keySet());
            declared.addAll(operations);
            assertThat(listed)
                    .as("search parameters and operations in /metadata that %s does not declare a probe for", PROBES)
                    .isSubsetOf(declared);
            assertThat(declared)
                    .as("probes in %s for what /metadata no longer lists", PROBES)
                    .isSubsetOf(listed);
        }));
        for (CapabilityStatementRestResourceComponent type : types) {
            tests.add(DynamicTest.dynamicTest(type.getType(), () -> new TypeProbes(type).run()));
        }
        tests.add(DynamicTest.dynamicTest("system level", this::systemProbes));
        tests.add(DynamicTest.dynamicTest("pages", this::pageProbes));
        if (asker == Asker.PATIENT) {
            tests.add(DynamicTest.dynamicTest("Prefer on the patient's own writes", this::preferProbes));
        }
        tests.add(DynamicTest.dynamicTest(
                "count",
                () -> System.out.printf(
                        "The boundary as %s: %d requests, over %d declared search parameters and %d operations%n",
                        asker == Asker.PATIENT ? "the patient" : "a care user without a care relationship",
                        requests.get(),
                        kinds.size(),
                        operations.size())));
        return tests.stream();
    }

    private void readDeclarations(CapabilityStatement capabilities) throws IOException {
        Files.createDirectories(SUGGESTED.getParent());
        Files.writeString(SUGGESTED, suggestion(capabilities), StandardCharsets.UTF_8);
        kinds = new LinkedHashMap<>();
        operations = new LinkedHashSet<>();
        operationKinds = new LinkedHashMap<>();
        for (String line : Files.readAllLines(PROBES, StandardCharsets.UTF_8)) {
            String[] words = line.strip().split("\\s+");
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            if (words[0].equals("operation")) {
                String operation = String.join(" ", List.of(words).subList(0, 3));
                operations.add(operation);
                if (words.length > 3) {
                    operationKinds.put(operation, words[3]);
                }
            } else {
                kinds.put(words[0] + " " + words[1], words[2]);
            }
        }
    }

    /**
     * The declarations for the server as it is, each kind guessed from the parameter's type and
     * targets: the start of an edit when a parameter or operation is added (read each guess).
     */
    private String suggestion(CapabilityStatement capabilities) {
        StringBuilder lines = new StringBuilder();
        for (CapabilityStatementRestResourceComponent type :
                capabilities.getRestFirstRep().getResource()) {
            for (CapabilityStatementRestResourceSearchParamComponent parameter : type.getSearchParam()) {
                lines.append(type.getType())
                        .append(' ')
                        .append(parameter.getName())
                        .append(' ')
                        .append(guessKind(type.getType(), parameter))
                        .append('\n');
            }
            type.getOperation().forEach(o -> lines.append("operation ")
                    .append(type.getType())
                    .append(' ')
                    .append(o.getName())
                    .append('\n'));
        }
        capabilities.getRestFirstRep().getOperation().forEach(o -> lines.append("operation system ")
                .append(o.getName())
                .append('\n'));
        return lines.toString();
    }

    private String guessKind(String type, CapabilityStatementRestResourceSearchParamComponent parameter) {
        String name = parameter.getName();
        if (PUBLIC.contains(type)) {
            return "plain";
        }
        if (name.equals("_id")) {
            return "id";
        }
        var definition = fhirContext.getResourceDefinition(type).getSearchParam(name);
        Set<String> targets = definition == null ? Set.of() : definition.getTargets();
        return switch (parameter.getType()) {
            case REFERENCE ->
                targets.contains("Patient") || targets.isEmpty()
                        ? "patient-ref"
                        : targets.equals(Set.of("CarePlan"))
                                ? "plan-ref"
                                : targets.equals(Set.of("CareTeam"))
                                        ? "team-ref"
                                        : targets.equals(Set.of("Goal")) ? "goal-ref" : "plain";
            case TOKEN -> name.equals("identifier") && type.equals("Patient") ? "personnummer" : "plain";
            case STRING ->
                type.equals("Patient")
                                && Set.of("name", "family", "given", "phonetic").contains(name)
                        ? "name"
                        : "plain";
            default -> "plain";
        };
    }

    /** The probes of one resource type, with every violation collected before the test fails. */
    private final class TypeProbes {

        private final CapabilityStatementRestResourceComponent capability;
        private final String type;
        private final boolean isPublic;
        private final List<String> violations = new ArrayList<>();
        private final List<String> getUrls = new ArrayList<>();

        TypeProbes(CapabilityStatementRestResourceComponent capability) {
            this.capability = capability;
            this.type = capability.getType();
            this.isPublic = readableByAll().contains(type);
        }

        void run() {
            Set<String> interactions = new LinkedHashSet<>();
            capability
                    .getInteraction()
                    .forEach(i -> interactions.add(i.getCode().toCode()));
            for (String foreign : foreignIds()) {
                String unknown = BoundaryWorld.unknown(type);
                if (interactions.contains("read")) {
                    alike("GET " + foreign, () -> get(foreign), () -> get(unknown), foreign, unknown);
                    getUrls.add(foreign);
                }
                if (interactions.contains("vread")) {
                    alike(
                            "vread " + foreign,
                            () -> get(foreign + "/_history/1"),
                            () -> get(unknown + "/_history/1"),
                            foreign,
                            unknown);
                }
                if (interactions.contains("history-instance")) {
                    alike(
                            "history " + foreign,
                            () -> get(foreign + "/_history"),
                            () -> get(unknown + "/_history"),
                            foreign,
                            unknown);
                    getUrls.add(foreign + "/_history");
                }
                if (interactions.contains("update")) {
                    alike("PUT " + foreign, () -> put(foreign), () -> put(unknown), foreign, unknown);
                    alike(
                            "conditional PUT " + foreign,
                            () -> put(type + "?_id=" + BoundaryWorld.idPart(foreign)),
                            () -> put(type + "?_id=" + BoundaryWorld.idPart(unknown)),
                            foreign,
                            unknown);
                }
                if (interactions.contains("patch")) {
                    alike("PATCH " + foreign, () -> patch(foreign), () -> patch(unknown), foreign, unknown);
                }
                if (interactions.contains("delete")) {
                    alike("DELETE " + foreign, () -> delete(foreign), () -> delete(unknown), foreign, unknown);
                    alike(
                            "conditional DELETE " + foreign,
                            () -> delete(type + "?_id=" + BoundaryWorld.idPart(foreign)),
                            () -> delete(type + "?_id=" + BoundaryWorld.idPart(unknown)),
                            foreign,
                            unknown);
                }
                for (var operation : capability.getOperation()) {
                    String name = "$" + operation.getName();
                    alike(
                            name + " on " + foreign,
                            () -> get(foreign + "/" + name),
                            () -> get(unknown + "/" + name),
                            foreign,
                            unknown);
                }
            }
            if (interactions.contains("history-type")) {
                check("history of " + type, get(type + "/_history"));
            }
            if (interactions.contains("create")) {
                check(
                        "create " + type,
                        as(token)
                                .body("{\"resourceType\":\"" + type + "\"}")
                                .when()
                                .post("/" + type));
                Response conditional = as(token)
                        .header(
                                "If-None-Exist",
                                "identifier=" + BoundaryWorld.PERSONNUMMER + "|" + world.theirs.personnummerValue())
                        .body("{\"resourceType\":\"" + type + "\"}")
                        .when()
                        .post("/" + type);
                check("conditional create " + type, conditional);
                expectStatus("conditional create " + type, conditional, 403);
            }
            for (var operation : capability.getOperation()) {
                String name = "$" + operation.getName();
                check(name + " on " + type, get(type + "/" + name));
                if ("personnummer".equals(operationKinds.get("operation " + type + " " + operation.getName()))) {
                    String pnr = "?identifier=" + BoundaryWorld.PERSONNUMMER + "|";
                    alike(
                            name + " on " + type + " by another patient's personnummer",
                            () -> get(type + "/" + name + pnr + world.theirs.personnummerValue()),
                            () -> get(type + "/" + name + pnr + world.unknownPersonnummer),
                            world.theirs.personnummerValue(),
                            world.unknownPersonnummer);
                }
            }
            if (interactions.contains("search-type")) {
                searches();
            }
            wrapped("batch", Bundle.BundleType.BATCH);
            wrapped("transaction", Bundle.BundleType.TRANSACTION);
            assertThat(violations)
                    .as("the boundary for %s, asked as %s", type, asker)
                    .isEmpty();
        }

        private void searches() {
            Response all = get(type + "?_count=200");
            check("search " + type, all);
            getUrls.add(type + "?_count=200");
            if (all.statusCode() == 200) {
                Bundle bundle = parse(all, Bundle.class);
                if (bundle.getLink(Bundle.LINK_NEXT) == null) {
                    Response count = get(type + "?_summary=count");
                    check(type + "?_summary=count", count);
                    if (count.statusCode() == 200 && parse(count, Bundle.class).getTotal() != matches(bundle)) {
                        violations.add(type + "?_summary=count counts "
                                + parse(count, Bundle.class).getTotal() + ", the search shows " + matches(bundle));
                    }
                }
            }
            for (String include : List.of("_include=*", "_revinclude=*", "_include:iterate=*")) {
                check(type + "?" + include, get(type + "?_count=200&" + include));
            }
            capability
                    .getSearchInclude()
                    .forEach(i -> check(
                            type + " include " + i.getValue(),
                            get(type + "?_count=200&_include=" + encode(i.getValue()))));
            capability
                    .getSearchRevInclude()
                    .forEach(i -> check(
                            type + " revinclude " + i.getValue(),
                            get(type + "?_count=200&_revinclude=" + encode(i.getValue()))));
            reachingAcross();
            for (CapabilityStatementRestResourceSearchParamComponent parameter : capability.getSearchParam()) {
                String kind = kinds.getOrDefault(type + " " + parameter.getName(), "plain");
                Values values = values(kind, parameter);
                for (String foreign : values.foreign()) {
                    String url = type + "?" + parameter.getName() + "=" + encode(foreign);
                    getUrls.add(url);
                    if (isPublic || values.absent() == null) {
                        check(url, get(url));
                    } else {
                        String absentUrl = type + "?" + parameter.getName() + "=" + encode(values.absent());
                        alike(url, () -> get(url), () -> get(absentUrl), foreign, values.absent());
                    }
                }
                // The patient's own data too: the boundary's narrowing must sit beside a client's
                // own term without failing (AuditEvent?patient=<self> once answered 500).
                for (String own : values.own()) {
                    String url = type + "?" + parameter.getName() + "=" + encode(own);
                    getUrls.add(url);
                    check(url, get(url));
                }
            }
        }

        /**
         * Searches that reach from this type to another patient's data: {@code _has} through every
         * reverse reference the server lists ({@code searchRevInclude}), and chains through every
         * reference parameter. Their answers must not depend on that data, on public types too (who
         * works where is public; who treats whom is not).
         */
        private void reachingAcross() {
            for (var revInclude : capability.getSearchRevInclude()) {
                String[] source = revInclude.getValue().split(":");
                if (source.length < 2) {
                    continue;
                }
                for (String foreign : idsOf(source[0])) {
                    String has = "_has:" + source[0] + ":" + source[1] + ":_id=";
                    String url = type + "?" + has + BoundaryWorld.idPart(foreign);
                    String absent = type + "?" + has + "none-" + world.mine.suffix();
                    getUrls.add(url);
                    alikeAnswers(url, () -> get(url), () -> get(absent), foreign, "none-" + world.mine.suffix());
                }
            }
            for (CapabilityStatementRestResourceSearchParamComponent parameter : capability.getSearchParam()) {
                if (parameter.getType() != org.hl7.fhir.r4.model.Enumerations.SearchParamType.REFERENCE) {
                    continue;
                }
                String chain = parameter.getName() + ".identifier=";
                String foreign = BoundaryWorld.PERSONNUMMER + "|" + world.theirs.personnummerValue();
                String absent = BoundaryWorld.PERSONNUMMER + "|" + world.unknownPersonnummer;
                String url = type + "?" + chain + encode(foreign);
                alikeAnswers(url, () -> get(url), () -> get(type + "?" + chain + encode(absent)), foreign, absent);
            }
        }

        private void wrapped(String name, Bundle.BundleType bundleType) {
            if (getUrls.isEmpty()) {
                return;
            }
            Bundle bundle = new Bundle().setType(bundleType);
            getUrls.forEach(url -> bundle.addEntry()
                    .getRequest()
                    .setMethod(Bundle.HTTPVerb.GET)
                    .setUrl(url));
            String body = json(bundle);
            Response response = as(token).body(body).when().post("/");
            check(name + " of " + type + " GETs", response, body);
        }

        /** Ids of this type that the patient may not see: another patient's, Sara's, the draft's. */
        private List<String> foreignIds() {
            List<String> ids = idsOf(type);
            if (ids.isEmpty() && !isPublic) {
                // A type with nothing stored for the other patient: probe its id space all the same.
                ids.add(type + "/sara-lindqvist");
            }
            return ids;
        }

        /** Ids of a type that the asker may not see (for care, a patient's whoever the patient). */
        private List<String> idsOf(String resourceType) {
            List<String> ids = new ArrayList<>();
            List<String> candidates = new ArrayList<>();
            if (asker == Asker.CARE) {
                candidates.addAll(List.of(world.mine.contractId(), world.mine.teamId(), world.mineConsentId));
                candidates.addAll(world.mineGoals);
            }
            candidates.addAll(List.of(
                    world.theirs.patientId(),
                    world.theirs.contractId(),
                    world.theirs.teamId(),
                    BoundaryWorld.SARA,
                    BoundaryWorld.SARA_CONTRACT,
                    BoundaryWorld.SARA_TEAM,
                    BoundaryWorld.SARA_GOAL,
                    BoundaryWorld.SARA_CONSENT,
                    world.theirConsentId,
                    world.groupId,
                    world.draftId,
                    world.draftGoalId,
                    world.theirIds().get(world.theirIds().size() - 1)));
            for (String id : candidates) {
                if (id.startsWith(resourceType + "/")) {
                    ids.add(id);
                }
            }
            return ids;
        }

        private void alike(String probe, Supplier<Response> foreign, Supplier<Response> absent, String a, String b) {
            if (isPublic) {
                check(probe, foreign.get(), a);
                return;
            }
            alikeAnswers(probe, foreign, absent, a, b);
        }

        /** The same answer for another patient's data and for none, whatever the type. */
        private void alikeAnswers(
                String probe, Supplier<Response> foreign, Supplier<Response> absent, String a, String b) {
            Response first = foreign.get();
            Response second = absent.get();
            check(probe, first, a);
            if (first.statusCode() != second.statusCode()) {
                violations.add(probe + ": " + first.statusCode() + " for another patient's, " + second.statusCode()
                        + " for none");
            } else if (first.statusCode() >= 400 && !words(first, a).equals(words(second, b))) {
                violations.add(probe + ": says '" + words(first, a) + "' for another patient's, '" + words(second, b)
                        + "' for none");
            } else if (first.statusCode() == 200 && isBundle(first) && isBundle(second)) {
                Bundle x = parse(first, Bundle.class);
                Bundle y = parse(second, Bundle.class);
                if (!ids(x, Bundle.SearchEntryMode.MATCH).equals(ids(y, Bundle.SearchEntryMode.MATCH))
                        || x.getTotal() != y.getTotal()) {
                    violations.add(probe + ": matches " + ids(x, Bundle.SearchEntryMode.MATCH) + " (total "
                            + x.getTotal() + ") for another patient's, " + ids(y, Bundle.SearchEntryMode.MATCH)
                            + " (total " + y.getTotal() + ") for none");
                }
            }
        }

        private void check(String probe, Response response, String... asked) {
            violations.addAll(BoundaryEnumerationIT.this.violations(probe, response, asked));
        }

        private void expectStatus(String probe, Response response, int status) {
            if (response.statusCode() != status) {
                violations.add(probe + ": " + response.statusCode() + ", expected " + status);
            }
        }
    }

    /** What to send for a search parameter of a kind: values that name others' data, and one that names nothing. */
    private record Values(List<String> foreign, String absent, List<String> own) {

        Values(List<String> foreign, String absent) {
            this(foreign, absent, List.of());
        }
    }

    private Values values(String kind, CapabilityStatementRestResourceSearchParamComponent parameter) {
        String pnr = BoundaryWorld.PERSONNUMMER + "|";
        return switch (kind) {
            case "patient-ref" ->
                new Values(
                        List.of(world.theirs.patientId(), BoundaryWorld.SARA),
                        BoundaryWorld.unknown("Patient"),
                        List.of(world.mine.patientId()));
            case "plan-ref" ->
                new Values(
                        List.of(world.theirs.contractId(), world.draftId, BoundaryWorld.SARA_CONTRACT),
                        BoundaryWorld.unknown("CarePlan"),
                        List.of(world.mine.contractId()));
            case "team-ref" ->
                new Values(
                        List.of(world.theirs.teamId(), BoundaryWorld.SARA_TEAM),
                        BoundaryWorld.unknown("CareTeam"),
                        List.of(world.mine.teamId()));
            case "goal-ref" ->
                new Values(
                        List.of(world.draftGoalId, BoundaryWorld.SARA_GOAL),
                        BoundaryWorld.unknown("Goal"),
                        world.mineGoals);
            case "id" ->
                new Values(
                        List.of(
                                BoundaryWorld.idPart(world.theirs.patientId()),
                                BoundaryWorld.idPart(world.theirs.contractId()),
                                BoundaryWorld.idPart(world.draftId),
                                BoundaryWorld.idPart(world.draftGoalId),
                                "sara-lindqvist",
                                "sara-lindqvist-patientkontrakt"),
                        "none-" + world.mine.suffix(),
                        List.of(
                                BoundaryWorld.idPart(world.mine.patientId()),
                                BoundaryWorld.idPart(world.mine.contractId())));
            case "personnummer" ->
                new Values(
                        List.of(
                                pnr + world.theirs.personnummerValue(),
                                pnr + BoundaryWorld.SARA_PERSONNUMMER,
                                world.theirs.personnummerValue()),
                        pnr + world.unknownPersonnummer,
                        List.of(pnr + world.mine.personnummerValue()));
            case "name" -> new Values(List.of("Lindqvist", "Sara"), "Ingenstansson");
            default -> new Values(List.of(plainValue(parameter)), null);
        };
    }

    /** A value of the parameter's type that many resources match, for probes that check what is shown. */
    private static String plainValue(CapabilityStatementRestResourceSearchParamComponent parameter) {
        return switch (parameter.getType()) {
            case DATE -> "ge1900-01-01";
            case STRING -> "a";
            case NUMBER, QUANTITY -> "ge0";
            case REFERENCE -> "Patient/sara-lindqvist";
            case URI -> "https://patientkontrakt.se/fhir";
            case TOKEN -> "active";
            default -> "x";
        };
    }

    private void systemProbes() {
        List<String> found = new ArrayList<>();
        found.addAll(violations("system history", get("_history")));
        found.addAll(violations("system search", get("?_id=sara-lindqvist")));
        found.addAll(violations("search across types", get("?_type=CarePlan,Patient")));
        for (String operation : operations) {
            String[] words = operation.split(" ");
            if (words[1].equals("system")) {
                found.addAll(violations(operation, get("$" + words[2])));
            }
        }
        assertThat(found).as("the boundary at the system level").isEmpty();
    }

    /**
     * The asker's own next page is served; a page of the EHR integration's search over contracts
     * is not (404, the answer to a page that does not exist). A care reader's search across patients
     * is narrowed to its care giver and weighed match by match, so a page of the same search made
     * by another client of that care giver is the reader's own; the EHR's search of its own unit's
     * contracts is not.
     */
    private void pageProbes() {
        List<String> found = new ArrayList<>();
        // The patient has two goals; care without a relationship reads no goal, but every Patient.
        Bundle first = parse(get(asker == Asker.PATIENT ? "Goal?_count=1" : "Patient?_count=1"), Bundle.class);
        if (first.getLink(Bundle.LINK_NEXT) == null) {
            found.add("the asker's own search has no next page to probe");
        } else {
            String next = first.getLink(Bundle.LINK_NEXT).getUrl();
            Response own = as(token).when().get(next.substring(next.indexOf("/fhir") + "/fhir".length()));
            found.addAll(violations("the next page of the asker's own search", own));
            if (own.statusCode() != 200) {
                found.add("the next page of the asker's own search answered " + own.statusCode());
            }
        }
        // For care, the EHR's search of its own unit's contracts: a search of the same care giver's
        // contracts without that narrowing is the asker's own search too (weighed match by match).
        Bundle care = parse(
                as(EHR).when()
                        .get(
                                asker == Asker.PATIENT
                                        ? "/CarePlan?_count=1"
                                        : "/CarePlan?_count=1&_security="
                                                + Vocabulary.OWNER_CARE_UNIT + "|"
                                                + TestTokens.VARDCENTRALEN_OSKARSHAMN),
                Bundle.class);
        String carePage = care.getLink(Bundle.LINK_NEXT).getUrl();
        Response response = as(token).when().get(carePage.substring(carePage.indexOf("/fhir") + "/fhir".length()));
        found.addAll(violations("a page of the EHR integration's search", response));
        if (response.statusCode() != 404) {
            found.add("a page of the EHR integration's search answered " + response.statusCode() + ", not 404");
        }
        assertThat(found).as("the boundary on pages").isEmpty();
    }

    private void preferProbes() {
        List<String> found = new ArrayList<>();
        String patch =
                """
                [{"op": "replace", "path": "/activity/0/detail/status", "value": "in-progress"}]""";
        for (String prefer : List.of("return=minimal", "return=representation", "return=OperationOutcome")) {
            Response response = as(world.me)
                    .contentType("application/json-patch+json")
                    .header("Prefer", prefer)
                    .body(patch)
                    .when()
                    .patch("/" + world.mine.contractId());
            found.addAll(violations("PATCH with " + prefer, response));
        }
        assertThat(found).as("the patient boundary on the patient's own writes").isEmpty();
    }

    /** What is wrong with one answer to the patient. */
    private List<String> violations(String probe, Response response, String... asked) {
        List<String> found = new ArrayList<>();
        if (response.statusCode() >= 500) {
            found.add(probe + ": " + response.statusCode() + " " + response.asString());
        }
        String everything = response.asString() + response.getHeaders();
        for (String marker : asker == Asker.PATIENT ? world.markers() : world.patientDataMarkers()) {
            boolean named = Stream.of(asked).anyMatch(a -> a.contains(marker)) || probe.contains(marker);
            if (!named && everything.contains(marker)) {
                found.add(probe + ": the answer names " + marker);
            }
        }
        if (response.statusCode() == 200 && response.asString().startsWith("{")) {
            IBaseResource resource = fhirContext.newJsonParser().parseResource(response.asString());
            shown(resource).forEach(shown -> {
                if (!mayBeShown(shown)) {
                    found.add(probe + ": shows "
                            + shown.getIdElement().toUnqualifiedVersionless().getValue());
                }
            });
            if (resource instanceof Bundle bundle) {
                found.addAll(totals(probe, bundle));
            }
        }
        return found;
    }

    /** Every resource an answer holds, batch and transaction answers opened up. */
    private static List<IBaseResource> shown(IBaseResource resource) {
        List<IBaseResource> all = new ArrayList<>();
        if (resource instanceof Bundle bundle) {
            bundle.getEntry().stream()
                    .filter(Bundle.BundleEntryComponent::hasResource)
                    .forEach(e -> all.addAll(shown(e.getResource())));
        } else if (!(resource instanceof OperationOutcome) && !(resource instanceof CapabilityStatement)) {
            all.add(resource);
        }
        return all;
    }

    private List<String> totals(String probe, Bundle bundle) {
        List<String> found = new ArrayList<>();
        if (bundle.getType() == Bundle.BundleType.SEARCHSET
                && bundle.hasTotal()
                && bundle.getLink(Bundle.LINK_NEXT) == null
                && bundle.getLink(Bundle.LINK_PREV) == null
                && bundle.getLink("previous") == null
                && bundle.getTotal() != matches(bundle)
                && !probe.contains("_summary=count")) {
            found.add(probe + ": total " + bundle.getTotal() + " but shows " + matches(bundle));
        }
        bundle.getEntry().stream()
                .filter(e -> e.getResource() instanceof Bundle)
                .forEach(e -> found.addAll(totals(probe + " (entry)", (Bundle) e.getResource())));
        return found;
    }

    /** Types the asker may read every resource of: no one's data; for care, who patients are too. */
    private Set<String> readableByAll() {
        if (asker == Asker.PATIENT) {
            return PUBLIC;
        }
        Set<String> types = new TreeSet<>(PUBLIC);
        types.add("Patient");
        return types;
    }

    /**
     * This test's own reading of what the asker may see: for the patient, their own; for care
     * without a care relationship, nothing that is a patient's data.
     */
    private boolean mayBeShown(IBaseResource resource) {
        String type = fhirContext.getResourceType(resource);
        String id = type + "/" + resource.getIdElement().getIdPart();
        if (readableByAll().contains(type)) {
            return true;
        }
        if (asker == Asker.CARE) {
            return false;
        }
        return switch (type) {
            case "Patient" -> id.equals(world.mine.patientId());
            case "CarePlan" -> id.equals(world.mine.contractId());
            case "CareTeam" -> id.equals(world.mine.teamId());
            case "Goal" -> world.mineGoals.contains(id);
            case "Consent" -> id.equals(world.mineConsentId);
            case "AuditEvent" -> json((AuditEvent) resource).contains(world.mine.patientId());
            default -> false;
        };
    }

    private static int matches(Bundle bundle) {
        return (int) bundle.getEntry().stream()
                .filter(e -> e.getSearch().getMode() == Bundle.SearchEntryMode.MATCH)
                .count();
    }

    private String words(Response response, String value) {
        if (!response.asString().startsWith("{")) {
            return response.asString();
        }
        return outcome(response).getIssue().stream()
                .map(issue -> issue.getCode() + ":" + issue.getDiagnostics())
                .reduce("", (x, y) -> x + "|" + y)
                .replace(BoundaryWorld.idPart(value), "{value}")
                .replace(value, "{value}");
    }

    private static boolean isBundle(Response response) {
        return response.asString().startsWith("{\"resourceType\":\"Bundle\"");
    }

    private Response get(String path) {
        return asker().when().get("/" + path);
    }

    private Response put(String path) {
        String type = path.split("[/?]", 2)[0];
        String id = path.contains("/") ? ",\"id\":\"" + BoundaryWorld.idPart(path) + "\"" : "";
        return asker().body("{\"resourceType\":\"" + type + "\"" + id + "}")
                .when()
                .put("/" + path);
    }

    private Response patch(String path) {
        return asker().contentType("application/json-patch+json")
                .body("[]")
                .when()
                .patch("/" + path);
    }

    private Response delete(String path) {
        return asker().when().delete("/" + path);
    }

    private RequestSpecification asker() {
        requests.incrementAndGet();
        return fhir().auth().oauth2(token);
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
