package io.tidemark.faults;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Kafka and a Cassandra of the fault suite's own, on other ports and in their own directory,
 * started, stopped part by part and released through deploy/local/stack: the shared stack on
 * 9092/9042 is never touched, because the suite stops servers.
 */
final class PrivateStack implements AutoCloseable {

    static final String KAFKA = "kafka";
    static final String CASSANDRA = "cassandra";

    private final Path root;
    private final Path localDir;
    private final int kafkaPort;
    private final int cassandraPort;
    private final String stackOpts;
    private final long ownerPid = ProcessHandle.current().pid();

    private PrivateStack(Path root, Path localDir, int kafkaPort, int cassandraPort, String stackOpts) {
        this.root = root;
        this.localDir = localDir;
        this.kafkaPort = kafkaPort;
        this.cassandraPort = cassandraPort;
        this.stackOpts = stackOpts;
    }

    /** The suite's stack under faults/target/stack on the ports of {@link FaultSettings}. */
    static PrivateStack of(Path root, FaultSettings settings) {
        String opts = String.join(" ",
                "-Dtidemark.stack.kafka.port=" + settings.kafkaPort(),
                "-Dtidemark.stack.kafka.controller.port=" + settings.kafkaControllerPort(),
                "-Dtidemark.stack.cassandra.native.port=" + settings.cassandraPort(),
                "-Dtidemark.stack.cassandra.storage.port=" + settings.cassandraStoragePort(),
                "-Dtidemark.stack.cassandra.jmx.port=" + settings.cassandraJmxPort());
        return new PrivateStack(root, root.resolve("faults/target/stack"), settings.kafkaPort(), settings.cassandraPort(), opts);
    }

    String kafkaBootstrap() {
        return "127.0.0.1:" + kafkaPort;
    }

    String cassandraContact() {
        return "127.0.0.1:" + cassandraPort;
    }

    int cassandraPort() {
        return cassandraPort;
    }

    /** Starts whatever part does not answer (all at first, a stopped one later), with topics and schema. */
    void ensure() {
        run("ensure", "--owner-pid", Long.toString(ownerPid));
    }

    /**
     * Starts from empty data: a record that an earlier run left unconsumed (say, one dedup cannot
     * store) would otherwise be the first thing the next run's dedup reads, and its figures would
     * describe the old run instead of this one.
     */
    void ensureFresh() {
        stop(KAFKA);
        stop(CASSANDRA);
        Path data = localDir.resolve("data");
        if (Files.exists(data)) {
            try (var paths = Files.walk(data)) {
                for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot empty " + data + ": " + e.getMessage(), e);
            }
        }
        ensure();
    }

    /** Stops one server (kafka or cassandra) by the PID the stack recorded. */
    void stop(String part) {
        run("stop", part);
    }

    @Override
    public void close() {
        run("release", "--owner-pid", Long.toString(ownerPid));
    }

    private void run(String... args) {
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("deploy/local/stack").toString()));
        command.addAll(List.of(args));
        try {
            Files.createDirectories(localDir);
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).directory(root.toFile());
            builder.environment().put("TIDEMARK_LOCAL_DIR", localDir.toString());
            builder.environment().put("TIDEMARK_STACK_OPTS", stackOpts);
            Process process = builder.start();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    Log.info("  stack | " + line);
                }
            }
            int exit = process.waitFor();
            if (exit != 0) {
                throw new IllegalStateException("deploy/local/stack " + String.join(" ", args) + " failed with exit code " + exit);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run deploy/local/stack: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running deploy/local/stack", e);
        }
    }
}
