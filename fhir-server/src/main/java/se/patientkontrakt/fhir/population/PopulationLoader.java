package se.patientkontrakt.fhir.population;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Loads a region's population from NDJSON files (one FHIR resource a line, as FHIR Bulk Data
 * writes them: the region's health centres, its listed residents as Patient, its target groups as
 * Group) through the server's ordinary REST API, so that every line passes the rules any write
 * passes: profile validation, one Patient per personnummer, access control and Provenance for the
 * token used (a region-wide client's, {@code patientkontrakt.pdl.region-wide-clients}).
 *
 * <p>Lines go as FHIR {@code batch} Bundles of {@code --batch-size} entries (not transactions: one
 * bad line fails alone), each a {@code PUT} to the line's id (a {@code POST} without one), so a rerun
 * stores no new version of what did not change. A line that is not JSON, has no resourceType, or is
 * refused by the server is <em>rejected</em>: written to the report with its file, line number and
 * the server's reason (the OperationOutcome's issues), while the rest loads. When the server refuses
 * a whole Bundle (a line HAPI cannot parse fails the Bundle), its lines are sent again one at a time
 * to find which. A Group larger than the request limit is written in parts: the Group with its first
 * members, then JSON Patches that add the rest, {@code quantity} counting what is stored so far and
 * the file's own on the last part.
 *
 * <p>Files are loaded one after another, in the order given (what others refer to first: the
 * health centres, the Patients, then the Groups); the Bundles of one file go {@code --concurrency}
 * at a time. Progress is a line on standard error every ten seconds; the summary goes to standard
 * output. An answer that says "later" (503 while the server starts, 429, 502, 504) is waited out
 * and sent again. Only a refused token (401), a server that cannot be reached, or one that says
 * "later" for some five minutes stops the load. See
 * docs/populations.md, "Loading a population".
 */
public final class PopulationLoader {

    static final String USAGE =
            """
            usage: PopulationLoader [options] FILE.ndjson...
              --base-url URL            FHIR base URL (default http://127.0.0.1:8080/fhir)
              --token-file FILE         a file holding the bearer token, read again for every request
                                        (another process may renew it); or set PATIENTKONTRAKT_TOKEN
              --batch-size N            lines per batch Bundle (default 200)
              --concurrency C           Bundles in flight at once (default 2)
              --max-request-bytes B     the server's request limit, patientkontrakt.server.max-request-size
                                        (default 1000000, under its default 1 MB)
              --report FILE             where rejected lines are listed (default rejected-lines.tsv)
            exit status: 0 every line stored, 3 some lines rejected (see the report),
                         1 the load stopped (token refused, server unreachable), 2 usage""";

    /** What a load needs to know. */
    public record Settings(
            URI base,
            Supplier<Optional<String>> token,
            int batchSize,
            int concurrency,
            long maxRequestBytes,
            Path report,
            PrintStream progress) {}

    /** One line that was not stored: where it is, what it was, and why. */
    public record Rejected(String file, long line, String resource, int status, String reason) {}

    /** What a load did. */
    public record Result(long lines, long stored, List<Rejected> rejected, double seconds) {}

    /** The load cannot go on (a refused token, an unreachable server); nothing is half-written. */
    public static final class LoadStopped extends Exception {
        LoadStopped(String message) {
            super(message);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern FHIR_ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");
    /** What a batch Bundle and an entry's request add around the lines, generously. */
    private static final int BUNDLE_OVERHEAD = 200;

    private static final int ENTRY_OVERHEAD = 120;
    private static final int ATTEMPTS = 3;
    /** Answers that say "later", not "no": waited out (Retry-After, else 5 s), some five minutes at most. */
    private static final Set<Integer> TRANSIENT = Set.of(429, 502, 503, 504);

    private static final int UNAVAILABLE_TRIES = 60;

    private final Settings settings;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private final List<Rejected> rejected = new ArrayList<>();
    private final AtomicLong stored = new AtomicLong();
    private final AtomicReference<String> stopped = new AtomicReference<>();
    /** The report while a load runs; written under the lock of {@link #rejected}. */
    private Writer report;

    public PopulationLoader(Settings settings) {
        this.settings = settings;
    }

    public static void main(String[] args) throws InterruptedException {
        Settings settings;
        List<Path> files = new ArrayList<>();
        try {
            settings = parse(args, files);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage() + System.lineSeparator() + USAGE);
            System.exit(2);
            return;
        }
        try {
            Result result = new PopulationLoader(settings).load(files);
            System.out.printf(
                    "Loaded %d of %d lines from %d files into %s in %.1f s: %.1f lines/s; %d rejected%s%n",
                    result.stored(),
                    result.lines(),
                    files.size(),
                    settings.base(),
                    result.seconds(),
                    result.lines() / Math.max(result.seconds(), 0.001),
                    result.rejected().size(),
                    result.rejected().isEmpty() ? "" : ", listed in " + settings.report());
            System.exit(result.rejected().isEmpty() ? 0 : 3);
        } catch (LoadStopped | IOException e) {
            System.err.println(System.lineSeparator() + "Stopped: " + e.getMessage());
            System.exit(1);
        }
    }

    private static Settings parse(String[] args, List<Path> files) {
        URI base = URI.create("http://127.0.0.1:8080/fhir");
        Supplier<Optional<String>> token = () -> Optional.ofNullable(System.getenv("PATIENTKONTRAKT_TOKEN"))
                .map(String::trim)
                .filter(value -> !value.isEmpty());
        int batchSize = 200;
        int concurrency = 2;
        long maxRequestBytes = 1_000_000;
        Path report = Path.of("rejected-lines.tsv");
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                files.add(Path.of(arg));
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(arg + " needs a value");
            }
            String value = args[++i];
            switch (arg) {
                case "--base-url" -> base = URI.create(value.replaceAll("/+$", ""));
                case "--token-file" -> {
                    Path file = Path.of(value);
                    if (!Files.isReadable(file)) {
                        throw new IllegalArgumentException("--token-file " + value + " cannot be read");
                    }
                    token = () -> readToken(file);
                }
                case "--batch-size" -> batchSize = positive(arg, value);
                case "--concurrency" -> concurrency = positive(arg, value);
                case "--max-request-bytes" -> maxRequestBytes = positive(arg, value);
                case "--report" -> report = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option " + arg);
            }
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no NDJSON file named");
        }
        for (Path file : files) {
            if (!Files.isReadable(file)) {
                throw new IllegalArgumentException(file + " cannot be read");
            }
        }
        return new Settings(base, token, batchSize, concurrency, maxRequestBytes, report, System.err);
    }

    private static Optional<String> readToken(Path file) {
        try {
            return Optional.of(Files.readString(file).trim()).filter(value -> !value.isEmpty());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int positive(String option, String value) {
        try {
            int number = Integer.parseInt(value);
            if (number > 0) {
                return number;
            }
        } catch (NumberFormatException e) {
            // Said below.
        }
        throw new IllegalArgumentException(option + " must be a positive whole number, not '" + value + "'");
    }

    /** Loads the files in order and writes the report of rejected lines (also when none are). */
    public Result load(List<Path> files) throws IOException, InterruptedException, LoadStopped {
        long started = System.nanoTime();
        long lines = 0;
        // Rows as they come, so a load that is killed leaves what it rejected; sorted at the end.
        writeReport(List.of());
        try (Writer rows = Files.newBufferedWriter(
                settings.report(), StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND)) {
            report = rows;
            for (Path file : files) {
                lines += loadFile(file);
                if (stopped.get() != null) {
                    break;
                }
            }
        } finally {
            report = null;
        }
        List<Rejected> sorted = rejectedInFileOrder(files);
        writeReport(sorted);
        if (stopped.get() != null) {
            throw new LoadStopped(stopped.get() + " (" + stored.get() + " lines stored before; a rerun stores"
                    + " them again without new versions)");
        }
        return new Result(lines, stored.get(), sorted, (System.nanoTime() - started) / 1e9);
    }

    /** A line to store: where it is, its resource and the request that stores it. */
    private record Line(String file, long number, String resource, ObjectNode json, int bytes) {}

    private long loadFile(Path file) throws IOException, InterruptedException {
        String name = file.getFileName().toString();
        long total;
        try (var all = Files.lines(file, StandardCharsets.UTF_8)) {
            total = all.filter(line -> !line.isBlank()).count();
        }
        ExecutorService pool = Executors.newFixedThreadPool(settings.concurrency());
        Semaphore inFlight = new Semaphore(settings.concurrency() * 2);
        List<Future<?>> work = new ArrayList<>();
        long done;
        try (Progress progress = new Progress(name, total);
                BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            List<Line> batch = new ArrayList<>();
            long batchBytes = BUNDLE_OVERHEAD;
            long number = 0;
            String text;
            while ((text = reader.readLine()) != null && stopped.get() == null) {
                number++;
                if (text.isBlank()) {
                    continue;
                }
                Line line = line(name, number, text, progress);
                if (line == null) {
                    continue;
                }
                if (line.bytes() + ENTRY_OVERHEAD + BUNDLE_OVERHEAD > settings.maxRequestBytes()) {
                    submit(pool, inFlight, work, () -> storeInParts(line, progress));
                    continue;
                }
                if (!batch.isEmpty()
                        && (batch.size() >= settings.batchSize()
                                || batchBytes + line.bytes() + ENTRY_OVERHEAD > settings.maxRequestBytes())) {
                    List<Line> full = batch;
                    submit(pool, inFlight, work, () -> storeBatch(full, progress));
                    batch = new ArrayList<>();
                    batchBytes = BUNDLE_OVERHEAD;
                }
                batch.add(line);
                batchBytes += line.bytes() + ENTRY_OVERHEAD;
            }
            if (!batch.isEmpty() && stopped.get() == null) {
                List<Line> last = batch;
                submit(pool, inFlight, work, () -> storeBatch(last, progress));
            }
            for (Future<?> future : work) {
                try {
                    future.get();
                } catch (ExecutionException e) {
                    stopped.compareAndSet(null, "client error: " + e.getCause());
                }
            }
            done = progress.done();
        } finally {
            pool.shutdownNow();
        }
        return done;
    }

    private static void submit(ExecutorService pool, Semaphore inFlight, List<Future<?>> work, Runnable task)
            throws InterruptedException {
        inFlight.acquire();
        work.add(pool.submit(() -> {
            try {
                task.run();
            } finally {
                inFlight.release();
            }
        }));
    }

    /** The line as a batch entry, or null (and rejected) when it is not a FHIR resource in JSON. */
    private Line line(String file, long number, String text, Progress progress) {
        JsonNode resource;
        try {
            resource = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            reject(new Rejected(file, number, "", 0, "not JSON: " + e.getOriginalMessage()), progress);
            return null;
        }
        JsonNode type = resource.path("resourceType");
        if (!resource.isObject() || !type.isTextual() || type.asText().isBlank()) {
            reject(new Rejected(file, number, "", 0, "not a FHIR resource: no resourceType"), progress);
            return null;
        }
        JsonNode id = resource.path("id");
        if (!id.isMissingNode()
                && !(id.isTextual() && FHIR_ID.matcher(id.asText()).matches())) {
            reject(
                    new Rejected(
                            file,
                            number,
                            type.asText(),
                            0,
                            "id " + id + " is not a FHIR id (1–64 letters, digits, '-' and '.')"),
                    progress);
            return null;
        }
        String reference = type.asText() + (id.isMissingNode() ? "" : "/" + id.asText());
        ObjectNode entry = JSON.createObjectNode();
        entry.set("resource", resource);
        entry.putObject("request")
                .put("method", id.isMissingNode() ? "POST" : "PUT")
                .put("url", reference);
        return new Line(file, number, reference, entry, text.getBytes(StandardCharsets.UTF_8).length);
    }

    private void storeBatch(List<Line> lines, Progress progress) {
        ObjectNode bundle =
                JSON.createObjectNode().put("resourceType", "Bundle").put("type", "batch");
        ArrayNode entries = bundle.putArray("entry");
        lines.forEach(line -> entries.add(line.json()));
        Optional<HttpResponse<String>> answer = send(HttpRequest.newBuilder(settings.base()), "POST", bundle);
        if (answer.isEmpty()) {
            return;
        }
        HttpResponse<String> response = answer.get();
        if (response.statusCode() / 100 != 2) {
            if (lines.size() > 1) {
                // The server refused the Bundle as a whole: find the line it could not take.
                lines.forEach(line -> storeBatch(List.of(line), progress));
            } else {
                reject(lines.get(0), response.statusCode(), reason(response.body()), progress);
            }
            return;
        }
        JsonNode answered = readAnswer(response.body()).path("entry");
        for (int i = 0; i < lines.size(); i++) {
            JsonNode entryResponse = answered.path(i).path("response");
            int status = status(entryResponse.path("status").asText(""));
            if (status / 100 == 2) {
                stored.incrementAndGet();
                progress.advance(false);
            } else {
                reject(lines.get(i), status, reason(entryResponse.path("outcome")), progress);
            }
        }
    }

    /**
     * A Group over the request limit: the Group with as many members as fit, then JSON Patches
     * adding the rest. The quantity counts the members stored so far (the profile's rule pk-23
     * holds after each part); the last part sets the file's own.
     */
    private void storeInParts(Line line, Progress progress) {
        ObjectNode resource = (ObjectNode) line.json().get("resource");
        JsonNode members = resource.path("member");
        if (!line.resource().startsWith("Group/") || !members.isArray() || members.size() < 2) {
            reject(
                    line,
                    413,
                    "larger than the request limit of " + settings.maxRequestBytes()
                            + " bytes, and not a Group whose members can be sent in parts",
                    progress);
            return;
        }
        ObjectNode head = resource.deepCopy();
        head.remove("member");
        JsonNode quantity = resource.get("quantity");
        long headBytes = bytes(head);
        long memberBytes = (line.bytes() - headBytes) / members.size() + 1;
        // A patch operation wraps each member in some 40 bytes; keep a tenth of the limit spare.
        int perPart = (int) Math.max(1, (settings.maxRequestBytes() * 9 / 10 - headBytes) / (memberBytes + 40));
        int parts = (members.size() + perPart - 1) / perPart;
        URI url = URI.create(settings.base() + "/" + line.resource());
        long active = 0;
        for (int part = 0; part < parts; part++) {
            int from = part * perPart;
            int to = Math.min(members.size(), from + perPart);
            for (int m = from; m < to; m++) {
                active += members.get(m).path("inactive").asBoolean(false) ? 0 : 1;
            }
            boolean last = part == parts - 1;
            JsonNode quantityNow =
                    last && quantity != null ? quantity : JSON.getNodeFactory().numberNode(active);
            Optional<HttpResponse<String>> answer;
            if (part == 0) {
                ObjectNode first = head.deepCopy();
                if (quantity != null || !last) {
                    first.set("quantity", quantityNow);
                }
                ArrayNode some = first.putArray("member");
                for (int m = from; m < to; m++) {
                    some.add(members.get(m));
                }
                answer = send(HttpRequest.newBuilder(url), "PUT", first);
            } else {
                ArrayNode patch = JSON.createArrayNode();
                for (int m = from; m < to; m++) {
                    patch.addObject().put("op", "add").put("path", "/member/-").set("value", members.get(m));
                }
                if (quantity != null || !last) {
                    patch.addObject().put("op", "add").put("path", "/quantity").set("value", quantityNow);
                } else {
                    patch.addObject().put("op", "remove").put("path", "/quantity");
                }
                answer = send(
                        HttpRequest.newBuilder(url).header("Content-Type", "application/json-patch+json"),
                        "PATCH",
                        patch);
            }
            if (answer.isEmpty()) {
                return;
            }
            if (answer.get().statusCode() / 100 != 2) {
                reject(
                        line,
                        answer.get().statusCode(),
                        "part " + (part + 1) + " of " + parts + " (members " + (from + 1) + "–" + to + " of "
                                + members.size() + "; the parts before are stored): "
                                + reason(answer.get().body()),
                        progress);
                return;
            }
        }
        stored.incrementAndGet();
        progress.advance(false);
    }

    /** The answer, or empty when the load must stop; a connection failure is tried again twice. */
    private Optional<HttpResponse<String>> send(HttpRequest.Builder request, String method, JsonNode body) {
        String json;
        try {
            json = JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        request.timeout(Duration.ofMinutes(5))
                .header("Accept", "application/fhir+json")
                .header("Prefer", "return=minimal")
                .method(method, HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8));
        if (!"PATCH".equals(method)) {
            request.header("Content-Type", "application/fhir+json; charset=utf-8");
        }
        IOException failure = null;
        int attempt = 0;
        int unavailable = 0;
        while (attempt < ATTEMPTS && stopped.get() == null) {
            settings.token().get().ifPresent(token -> request.setHeader("Authorization", "Bearer " + token));
            try {
                HttpResponse<String> response =
                        http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                if (response.statusCode() == 401) {
                    stopped.compareAndSet(null, "the server refused the token (401): " + reason(response.body()));
                    return Optional.empty();
                }
                if (TRANSIENT.contains(response.statusCode())) {
                    // Starting, overloaded or behind a proxy that lost it: not the lines' fault.
                    if (++unavailable > UNAVAILABLE_TRIES) {
                        stopped.compareAndSet(
                                null,
                                "the server answered " + response.statusCode() + " " + UNAVAILABLE_TRIES
                                        + " times in a row: " + reason(response.body()));
                        return Optional.empty();
                    }
                    sleep(1_000L
                            * response.headers().firstValueAsLong("Retry-After").orElse(5));
                    continue;
                }
                return Optional.of(response);
            } catch (IOException e) {
                failure = e;
                attempt++;
                sleep(attempt * 2_000L);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stopped.compareAndSet(null, "interrupted");
                return Optional.empty();
            }
        }
        if (failure != null) {
            stopped.compareAndSet(null, "the server at " + settings.base() + " cannot be reached: " + failure);
        }
        return Optional.empty();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void reject(Line line, int status, String reason, Progress progress) {
        reject(new Rejected(line.file(), line.number(), line.resource(), status, reason), progress);
    }

    private void reject(Rejected line, Progress progress) {
        synchronized (rejected) {
            rejected.add(line);
            if (report != null) {
                try {
                    report.write(row(line));
                    report.flush();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        progress.advance(true);
    }

    /** The answer's OperationOutcome in a line: each issue's severity, words and where. */
    private static String reason(String body) {
        return reason(readAnswer(body));
    }

    private static String reason(JsonNode outcome) {
        List<String> issues = new ArrayList<>();
        for (JsonNode issue : outcome.path("issue")) {
            if ("information".equals(issue.path("severity").asText())
                    || "warning".equals(issue.path("severity").asText())) {
                continue;
            }
            StringBuilder text = new StringBuilder(issue.path("diagnostics")
                    .asText(issue.path("details")
                            .path("text")
                            .asText(issue.path("code").asText())));
            JsonNode where = issue.path("expression").isArray() ? issue.path("expression") : issue.path("location");
            if (where.isArray() && !where.isEmpty()) {
                text.append(" [").append(where.get(0).asText()).append(']');
            }
            issues.add(text.toString());
        }
        return issues.isEmpty() ? "(no OperationOutcome in the answer)" : String.join("; ", issues);
    }

    private static JsonNode readAnswer(String body) {
        try {
            return body == null || body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
        } catch (JsonProcessingException e) {
            return JSON.createObjectNode();
        }
    }

    private static int status(String status) {
        try {
            return Integer.parseInt(status.split(" ", 2)[0]);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static long bytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node).length;
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<Rejected> rejectedInFileOrder(List<Path> files) {
        List<String> names =
                files.stream().map(file -> file.getFileName().toString()).toList();
        synchronized (rejected) {
            return rejected.stream()
                    .sorted(Comparator.comparingInt((Rejected r) -> names.indexOf(r.file()))
                            .thenComparingLong(Rejected::line))
                    .toList();
        }
    }

    /** Tab-separated: file, line, resource, HTTP status (0: refused here, never sent), reason. */
    private void writeReport(List<Rejected> lines) throws IOException {
        Path parent = settings.report().toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (Writer out = Files.newBufferedWriter(settings.report(), StandardCharsets.UTF_8)) {
            out.write("file\tline\tresource\tstatus\treason\n");
            for (Rejected line : lines) {
                out.write(row(line));
            }
        }
    }

    private static String row(Rejected line) {
        return String.join(
                        "\t",
                        line.file(),
                        Long.toString(line.line()),
                        line.resource(),
                        Integer.toString(line.status()),
                        line.reason().replaceAll("[\\t\\r\\n]+", " "))
                + "\n";
    }

    /**
     * {@code Patient.ndjson  120000/300000 lines  2 rejected  850 lines/s} on standard error, every
     * ten seconds and when the file is done.
     */
    private final class Progress implements AutoCloseable {
        private final String file;
        private final long total;
        private final long started = System.nanoTime();
        private final AtomicLong done = new AtomicLong();
        private final AtomicLong refused = new AtomicLong();
        private final java.util.concurrent.ScheduledExecutorService ticker =
                Executors.newSingleThreadScheduledExecutor(runnable -> {
                    Thread thread = new Thread(runnable, "progress");
                    thread.setDaemon(true);
                    return thread;
                });

        Progress(String file, long total) {
            this.file = file;
            this.total = total;
            ticker.scheduleAtFixedRate(this::print, 10, 10, java.util.concurrent.TimeUnit.SECONDS);
        }

        void advance(boolean rejectedLine) {
            done.incrementAndGet();
            if (rejectedLine) {
                refused.incrementAndGet();
            }
        }

        long done() {
            return done.get();
        }

        private void print() {
            double seconds = (System.nanoTime() - started) / 1e9;
            settings.progress()
                    .printf(
                            "%s  %d/%d lines  %d rejected  %.0f lines/s%n",
                            file, done.get(), total, refused.get(), done.get() / Math.max(seconds, 0.001));
        }

        @Override
        public void close() {
            ticker.shutdownNow();
            print();
        }
    }
}
