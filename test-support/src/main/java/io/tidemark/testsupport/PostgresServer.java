package io.tidemark.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * A PostgreSQL cluster of one test or benchmark: Debian's server binaries ({@code apt-get install postgresql}),
 * {@code initdb} into a temporary directory and {@code postgres} on a free port, stopped by its PID.
 * PostgreSQL refuses to run as root, so as root it runs as the package's {@code postgres} user.
 */
public final class PostgresServer implements AutoCloseable {

    public static final String USER = "tidemark";
    public static final String PASSWORD = "bulk-" + Long.toHexString(System.nanoTime());
    private static final Path DEBIAN_VERSIONS = Path.of("/usr/lib/postgresql");

    private final Path dir;
    private final int port;
    private final Process process;

    private PostgresServer(Path dir, int port, Process process) {
        this.dir = dir;
        this.port = port;
        this.process = process;
    }

    public static PostgresServer start() throws Exception {
        Path bin = binaries();
        Path dir = Files.createTempDirectory("tidemark-pg-");
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            UserPrincipal postgres = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
            Files.setOwner(dir, postgres);
        }
        Path passwordFile = dir.resolve("pw");
        Files.writeString(passwordFile, PASSWORD);
        if (root) {
            Files.setOwner(passwordFile, dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres"));
        }
        // Password authentication over TCP, so the loader's password really comes from its environment.
        run(root, dir.resolve("initdb.log"), bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(),
                "-U", USER, "--pwfile=" + passwordFile, "--auth-host=scram-sha-256", "--auth-local=trust",
                "-E", "UTF8", "--no-locale");
        int port = FreePort.next();
        Process process = new ProcessBuilder(command(root, bin.resolve("postgres").toString(), "-D", dir.resolve("data").toString(),
                "-p", Integer.toString(port), "-k", dir.toString(), "-c", "listen_addresses=127.0.0.1",
                // A throwaway cluster: durability costs time and buys nothing here.
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("postgres.log").toFile()).start();
        PostgresServer server = new PostgresServer(dir, port, process);
        Runtime.getRuntime().addShutdownHook(new Thread(server::stopQuietly));
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> {
                        try (Connection c = server.connect("postgres")) {
                            return c.isValid(2);
                        }
                    });
            try (Connection c = server.connect("postgres")) {
                c.createStatement().execute("CREATE DATABASE shop");
            }
        } catch (Exception | AssertionError e) {
            server.close();
            throw new IllegalStateException("PostgreSQL did not start; see " + dir.resolve("postgres.log"), e);
        }
        return server;
    }

    /** The newest server of Debian's postgresql package. */
    private static Path binaries() throws IOException {
        if (!Files.isDirectory(DEBIAN_VERSIONS)) {
            throw new IllegalStateException("no PostgreSQL server in " + DEBIAN_VERSIONS + ": apt-get install postgresql (see README)");
        }
        try (Stream<Path> versions = Files.list(DEBIAN_VERSIONS)) {
            return versions.filter(v -> Files.isExecutable(v.resolve("bin/postgres")))
                    .max(Comparator.comparingInt(v -> Integer.parseInt(v.getFileName().toString().replaceAll("\\D", "0"))))
                    .map(v -> v.resolve("bin"))
                    .orElseThrow(() -> new IllegalStateException("no bin/postgres under " + DEBIAN_VERSIONS));
        }
    }

    private static List<String> command(boolean root, String... command) {
        List<String> all = new ArrayList<>();
        if (root) {
            all.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        all.addAll(List.of(command));
        return all;
    }

    private static void run(boolean root, Path log, String... command) throws Exception {
        Process process = new ProcessBuilder(command(root, command)).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (process.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + Files.readString(log));
        }
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    public Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database), USER, PASSWORD);
    }

    /** The postmaster's PID, from the file it writes: the process we started may be runuser in front of it. */
    private Optional<ProcessHandle> postmaster() {
        try {
            String first = Files.readAllLines(dir.resolve("data/postmaster.pid")).get(0).trim();
            return ProcessHandle.of(Long.parseLong(first));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private void stopQuietly() {
        try {
            close();
        } catch (Exception e) {
            // Shutting down anyway.
        }
    }

    @Override
    public void close() throws Exception {
        Optional<ProcessHandle> postmaster = postmaster();
        // SIGTERM: PostgreSQL's smart shutdown; the test's connections are closed by now.
        postmaster.ifPresent(ProcessHandle::destroy);
        process.destroy();
        if (postmaster.isPresent() && !postmaster.get().onExit().toCompletableFuture()
                .completeOnTimeout(null, 20, java.util.concurrent.TimeUnit.SECONDS).thenApply(p -> p != null).get()) {
            postmaster.get().destroyForcibly();
        }
        process.waitFor();
        try {
            Trees.delete(dir);
        } catch (IOException e) {
            // A leftover temp directory is harmless.
        }
    }

}
