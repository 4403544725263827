package io.tidemark.e2e;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A Kafka and a Cassandra of one test, on free ports with their own data directory, started by the
 * stack launcher for this test JVM (its reaper stops them if the JVM dies). A test that stops a
 * server stops this one, never the shared stack other builds use.
 */
final class PrivateStack implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofMinutes(5);

    private final Path root;
    private final Path dir;
    private final int kafkaPort;
    private final int cassandraPort;
    private final String opts;

    private PrivateStack(Path root, Path dir) throws IOException {
        this.root = root;
        this.dir = dir;
        this.kafkaPort = freePort();
        this.cassandraPort = freePort();
        this.opts = String.join(" ",
                "-Dtidemark.stack.kafka.port=" + kafkaPort,
                "-Dtidemark.stack.kafka.controller.port=" + freePort(),
                "-Dtidemark.stack.kafka.heap=256m",
                "-Dtidemark.stack.cassandra.native.port=" + cassandraPort,
                "-Dtidemark.stack.cassandra.storage.port=" + freePort(),
                "-Dtidemark.stack.cassandra.jmx.port=" + freePort(),
                "-Dtidemark.stack.cassandra.heap=512m");
    }

    static PrivateStack start() throws Exception {
        Path root = Path.of(System.getProperty("tidemark.root", "..")).toAbsolutePath().normalize();
        Path dir = Path.of("target", "private-stack-" + UUID.randomUUID().toString().substring(0, 8)).toAbsolutePath();
        PrivateStack stack = new PrivateStack(root, dir);
        stack.run("ensure");
        return stack;
    }

    String kafkaBootstrap() {
        return "127.0.0.1:" + kafkaPort;
    }

    int cassandraPort() {
        return cassandraPort;
    }

    /** Stops Cassandra as an operator would (SIGTERM, SIGKILL after a grace period), Kafka stays up. */
    void stopCassandra() throws Exception {
        stop("cassandra");
    }

    /** Starts Cassandra again on the same data: `ensure` reuses the answering Kafka. */
    void startCassandra() throws Exception {
        run("ensure");
    }

    /** Stops the Kafka broker as an operator would, Cassandra stays up. */
    void stopKafka() throws Exception {
        stop("kafka");
    }

    /** Starts Kafka again on the same data: `ensure` reuses the answering Cassandra. */
    void startKafka() throws Exception {
        run("ensure");
    }

    private void stop(String part) throws Exception {
        ProcessHandle server = process(part).orElseThrow(() -> new IllegalStateException("no " + part + " running"));
        server.destroy();
        try {
            server.onExit().get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException slow) {
            server.destroyForcibly();
            server.onExit().get(30, TimeUnit.SECONDS);
        }
    }

    private Optional<ProcessHandle> process(String part) throws IOException {
        Path pidFile = dir.resolve("run/" + part + ".pid");
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        return ProcessHandle.of(Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).strip()));
    }

    @Override
    public void close() throws Exception {
        run("release");
    }

    private void run(String command) throws Exception {
        List<String> line = new ArrayList<>(List.of("bash", root.resolve("deploy/local/stack").toString(), command,
                "--owner-pid", Long.toString(ProcessHandle.current().pid())));
        Files.createDirectories(dir);
        ProcessBuilder builder = new ProcessBuilder(line).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("stack.log").toFile()));
        builder.environment().put("TIDEMARK_LOCAL_DIR", dir.toString());
        builder.environment().put("TIDEMARK_STACK_OPTS", opts);
        Process process = builder.start();
        if (!process.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("stack " + command + " did not finish; see " + dir.resolve("stack.log"));
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("stack " + command + " failed; see " + dir.resolve("stack.log"));
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
