package se.patientkontrakt.fhir.faults;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The server as production runs it: the executable jar in its own JVM on a free loopback port,
 * its output in a log file under {@code target/faults/}. {@link #kill()} is {@code kill -9}
 * (on Linux {@link Process#destroyForcibly()} sends SIGKILL): no shutdown hook, no flush, no
 * rollback by the server itself.
 */
final class ServerProcess implements AutoCloseable {

    /** Ready in 30-45 s on an idle machine; four or five minutes were seen on a shared, busy one. */
    private static final Duration READY_WITHIN = Duration.ofMinutes(8);

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private final String name;
    private final int port;
    private final Path log;
    private final Process process;

    private ServerProcess(String name, int port, Path log, Process process) {
        this.name = name;
        this.port = port;
        this.log = log;
        this.process = process;
    }

    /** Starts the jar with the given Spring arguments and waits until it is ready for traffic. */
    static ServerProcess start(String name, List<String> arguments) throws IOException, InterruptedException {
        int port = freePort();
        Path dir = Files.createDirectories(Path.of("target", "faults"));
        Path log = dir.resolve(name + ".log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g",
                "-XX:+UseSerialGC",
                "-jar",
                jar().toString(),
                "--server.port=" + port,
                "--server.address=127.0.0.1",
                // Compare stored resources, not the narrative generated into responses.
                "--patientkontrakt.server.narrative=false"));
        command.addAll(arguments);
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        ServerProcess server = new ServerProcess(name, port, log, process);
        server.awaitReady();
        return server;
    }

    /** The server jar that {@code package} built; failsafe passes its path. */
    static Path jar() {
        String configured = System.getProperty("server.jar", "");
        if (!configured.isBlank()) {
            return Path.of(configured);
        }
        try (Stream<Path> candidates = Files.list(Path.of("target"))) {
            return candidates
                    .filter(p -> p.getFileName().toString().matches("fhir-server-.*\\.jar"))
                    .filter(p -> !p.getFileName().toString().endsWith("-plain.jar"))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException(
                            "No server jar in target/: run ./mvnw -pl fhir-server package -DskipTests first"));
        } catch (IOException e) {
            throw new IllegalStateException("No target/ directory: build the server jar first", e);
        }
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port + "/fhir";
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** {@code kill -9}: the JVM ends at once, in the middle of whatever it was doing. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException(name + " did not die within 30 s of SIGKILL");
        }
    }

    /**
     * Waits until {@code ready} holds (at most three minutes), then {@code kill -9} with the clients'
     * requests in flight; sets {@code stop} and waits for the clients to end.
     */
    void killUnderLoad(BooleanSupplier ready, AtomicBoolean stop, ExecutorService clients) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!ready.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        kill();
        stop.set(true);
        clients.shutdown();
        if (!clients.awaitTermination(2, TimeUnit.MINUTES)) {
            throw new IllegalStateException("the clients did not end within 2 min of the kill");
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            kill();
        }
    }

    private void awaitReady() throws InterruptedException {
        long deadline = System.nanoTime() + READY_WITHIN.toNanos();
        HttpRequest readiness = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness"))
                .timeout(Duration.ofSeconds(5))
                .build();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        name + " exited with status " + process.exitValue() + " during start-up; see " + log);
            }
            try {
                HttpResponse<String> response = HTTP.send(readiness, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notListeningYet) {
                // Keep waiting.
            }
            Thread.sleep(500);
        }
        process.destroyForcibly();
        throw new IllegalStateException(name + " was not ready within " + READY_WITHIN + "; see " + log);
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }
}
