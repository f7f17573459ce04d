package se.patientkontrakt.fhir.faults;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL cluster of the tests' own, on a free loopback port with its socket and
 * data in a temporary directory, so that the fault tests can stop and start it without touching
 * any other cluster on the machine. The installed binaries ({@code /usr/lib/postgresql/N/bin})
 * are used; initdb refuses to run as root, so as root the cluster runs as user {@code postgres}.
 * One cluster serves every test class of a run ({@link #shared()}) and is removed when the JVM
 * ends.
 */
final class ScratchPostgres {

    private static final Path INSTALLATIONS = Path.of("/usr/lib/postgresql");
    private static ScratchPostgres shared;

    private final Path bin;
    private final Path dir;
    private final int port;

    private ScratchPostgres(Path bin, Path dir, int port) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
    }

    /**
     * The run's cluster, created and started on first use; the calling test is skipped (not
     * failed) where PostgreSQL is not installed.
     */
    static synchronized ScratchPostgres shared() throws IOException, InterruptedException {
        if (shared == null) {
            Optional<Path> bin = installedBin();
            assumeTrue(
                    bin.isPresent(),
                    "PostgreSQL is not installed (no " + INSTALLATIONS + "/<version>/bin/initdb): test skipped");
            Path dir = Files.createTempDirectory(Path.of("/tmp"), "patientkontrakt-faults-pg-");
            ScratchPostgres postgres = new ScratchPostgres(bin.get(), dir, ServerProcess.freePort());
            postgres.init();
            postgres.start();
            Runtime.getRuntime().addShutdownHook(new Thread(postgres::remove));
            shared = postgres;
        }
        return shared;
    }

    private static Optional<Path> installedBin() throws IOException {
        if (!Files.isDirectory(INSTALLATIONS)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(INSTALLATIONS)) {
            return versions.map(version -> version.resolve("bin"))
                    .filter(candidate -> Files.isExecutable(candidate.resolve("initdb")))
                    .max(Comparator.comparing(Path::toString));
        }
    }

    private void init() throws IOException, InterruptedException {
        if (runningAsRoot()) {
            run(List.of("chown", "postgres:postgres", dir.toString()), false);
        }
        run(List.of(bin.resolve("initdb").toString(), "-D", data(), "-A", "trust", "-U", "postgres", "-E", "UTF8"));
    }

    /** Starts the cluster and waits until it accepts connections. */
    void start() throws IOException, InterruptedException {
        run(List.of(
                bin.resolve("pg_ctl").toString(),
                "-D",
                data(),
                "-l",
                dir.resolve("postgres.log").toString(),
                "-o",
                "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c max_connections=200",
                "-w",
                "-t",
                "60",
                "start"));
    }

    /** Stops the cluster the way an operator restarting it would: fast shutdown, clients cut off. */
    void stop() throws IOException, InterruptedException {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data(), "-m", "fast", "-w", "-t", "60", "stop"));
    }

    /** Creates an empty database owned by the superuser and returns its JDBC URL. */
    String createDatabase(String name) throws SQLException {
        try (Connection connection = DriverManager.getConnection(jdbcUrl("postgres"), "postgres", "");
                Statement statement = connection.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + name);
            statement.execute("CREATE DATABASE " + name);
        }
        return jdbcUrl(name);
    }

    String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** Spring arguments that point a server at one database of this cluster. */
    List<String> serverArguments(String database) {
        return List.of(
                "--spring.profiles.active=postgres",
                "--spring.datasource.url=" + jdbcUrl(database),
                "--spring.datasource.username=postgres",
                "--spring.datasource.password=");
    }

    private String data() {
        return dir.resolve("data").toString();
    }

    private void remove() {
        try {
            stop();
        } catch (IOException | RuntimeException e) {
            // Already stopped.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder())
                    .forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // Left in /tmp; harmless.
        }
    }

    private void run(List<String> command) throws IOException, InterruptedException {
        run(command, runningAsRoot());
    }

    private static void run(List<String> command, boolean asPostgres) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (asPostgres) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        Process process = new ProcessBuilder(full).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(90, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException(
                    String.join(" ", full) + " failed:\n" + new String(output, StandardCharsets.UTF_8));
        }
    }

    private static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
