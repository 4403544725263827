package io.tidemark.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A Kafka and a Cassandra of one test JVM or suite, on ports and in a directory of their own, run by
 * {@code deploy/local/stack} for this JVM (the launcher's reaper stops them should the JVM die). A test
 * that stops a server stops this one, never the shared stack other builds use.
 */
public final class PrivateStack implements AutoCloseable {

    public static final String KAFKA = "kafka";
    public static final String CASSANDRA = "cassandra";

    /** Longer than any part's ready timeout, which the launcher enforces with the part's log in its message. */
    private static final Duration STACK_TIMEOUT = Duration.ofMinutes(10);
    private static final int FAILURE_LINES = 60;

    /** The servers' ports. */
    public record Ports(int kafka, int kafkaController, int cassandra, int cassandraStorage, int cassandraJmx) {

        /** Ports free right now. */
        public static Ports free() {
            return new Ports(FreePort.next(), FreePort.next(), FreePort.next(), FreePort.next(), FreePort.next());
        }
    }

    private static PrivateStack shared;

    private final Path root;
    private final Path dir;
    private final Ports ports;
    private final int nodes;
    private final String opts;
    private final Map<String, String> launcherEnvironment = new HashMap<>();
    private final long ownerPid = ProcessHandle.current().pid();

    private PrivateStack(Path root, Path dir, Ports ports, int nodes, List<String> launcherOptions) {
        this.root = root;
        // Absolute, so the launcher (run from root) and this JVM (reading its PID files) mean one directory.
        this.dir = dir.toAbsolutePath().normalize();
        this.ports = ports;
        this.nodes = nodes;
        List<String> opts = new ArrayList<>(List.of(
                "-Dtidemark.stack.kafka.port=" + ports.kafka(),
                "-Dtidemark.stack.kafka.controller.port=" + ports.kafkaController(),
                "-Dtidemark.stack.cassandra.native.port=" + ports.cassandra(),
                "-Dtidemark.stack.cassandra.storage.port=" + ports.cassandraStorage(),
                "-Dtidemark.stack.cassandra.jmx.port=" + ports.cassandraJmx()));
        opts.addAll(launcherOptions);
        this.opts = String.join(" ", opts);
    }

    /**
     * A stack of the repository at {@code root}, with its data under {@code dir}; not started.
     * {@code launcherOptions} are the launcher's system properties, e.g. a server's heap.
     */
    public static PrivateStack of(Path root, Path dir, Ports ports, List<String> launcherOptions) {
        return new PrivateStack(root, dir, ports, 1, launcherOptions);
    }

    /**
     * As {@link #of}, but the launcher's cluster: three brokers and three Cassandra nodes on
     * 127.0.0.1–3, each on these ports (Cassandra's JMX on {@code cassandraJmx} + 0, 1, 2).
     */
    public static PrivateStack cluster(Path root, Path dir, Ports ports, List<String> launcherOptions) {
        return new PrivateStack(root, dir, ports, 3, launcherOptions);
    }

    public int nodes() {
        return nodes;
    }

    /** The launcher's name of node {@code index} (1-based) of {@link #KAFKA} or {@link #CASSANDRA}: kafka, kafka-2, ... */
    public static String node(String part, int index) {
        return index == 1 ? part : part + "-" + index;
    }

    /**
     * The launcher's option that stops a stack whose data is thrown away at once (SIGTERM, then SIGKILL) when
     * it is released, instead of waiting for each server's orderly stop: 4 to 14 s a stack in the tests.
     */
    public static final String NO_STOP_GRACE = "-Dtidemark.stack.stop.grace.seconds=0";

    /** The loopback address of node {@code index}. */
    public static String nodeHost(int index) {
        return "127.0.0." + index;
    }

    /**
     * A small stack for one test (a 256 MB Kafka, a 512 MB Cassandra) on free ports, under
     * {@code target/private-stack-<id>} of the repository at {@code -Dtidemark.root}; started.
     */
    public static PrivateStack start() {
        Path root = Path.of(System.getProperty("tidemark.root", "..")).toAbsolutePath().normalize();
        Path dir = Path.of("target", "private-stack-" + UUID.randomUUID().toString().substring(0, 8)).toAbsolutePath();
        PrivateStack stack = of(root, dir, Ports.free(),
                List.of("-Dtidemark.stack.kafka.heap=256m", "-Dtidemark.stack.cassandra.heap=512m", NO_STOP_GRACE));
        stack.ensure();
        return stack;
    }

    /**
     * The small stack of {@link #start()}, one for the whole test JVM: started by the first test that asks for
     * it, ensured again for each later one (a part an earlier test left stopped starts again), released when
     * the JVM exits. Three end-to-end classes each started and released one of their own, 25-30 s a class.
     * The tests that share it stop and restart its servers, so they run one after the other, as failsafe runs
     * them; each uses topics, a consumer group and sources of its own.
     */
    public static synchronized PrivateStack shared() {
        if (shared == null) {
            PrivateStack started = start();
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "release-private-stack"));
            shared = started;
        } else {
            shared.ensure();
        }
        return shared;
    }

    /** Every broker, comma-separated. */
    public String kafkaBootstrap() {
        return addresses(ports.kafka());
    }

    /** Every Cassandra node, comma-separated. */
    public String cassandraContact() {
        return addresses(ports.cassandra());
    }

    private String addresses(int port) {
        List<String> addresses = new ArrayList<>();
        for (int i = 1; i <= nodes; i++) {
            addresses.add(nodeHost(i) + ":" + port);
        }
        return String.join(",", addresses);
    }

    public int cassandraPort() {
        return ports.cassandra();
    }

    /** Node 1's local JMX port, where Cassandra's own nodetool connects. */
    public int cassandraJmxPort() {
        return ports.cassandraJmx();
    }

    /** Starts whatever part does not answer (all at first, a stopped one later), with topics and schema. */
    public void ensure() {
        if (nodes > 1) {
            run("ensure", "--cluster", "--owner-pid", Long.toString(ownerPid));
        } else {
            run("ensure", "--owner-pid", Long.toString(ownerPid));
        }
    }

    /**
     * Starts from empty data: a record an earlier run left unconsumed would otherwise be the first
     * thing the next run reads.
     */
    public void ensureFresh() {
        for (int i = 1; i <= nodes; i++) {
            stop(node(KAFKA, i));
            stop(node(CASSANDRA, i));
        }
        Path data = dir.resolve("data");
        try {
            Trees.delete(data);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot empty " + data, e);
        }
        ensure();
    }

    /**
     * Stops one server ({@link #KAFKA} or {@link #CASSANDRA}) as an operator would: SIGTERM, SIGKILL
     * after a minute; nothing happens when it does not run.
     */
    public void stop(String part) {
        end(part, false);
    }

    /** SIGKILL of one server (e.g. {@code kafka-2}), as a crash would; nothing happens when it does not run. */
    public void kill(String part) {
        end(part, true);
    }

    /** SIGTERM with a minute's grace, or SIGKILL at once; either way, returns once the process is gone. */
    private void end(String part, boolean kill) {
        Optional<ProcessHandle> server = process(part);
        if (server.isEmpty() || !server.get().isAlive()) {
            return;
        }
        try {
            if (!kill) {
                server.get().destroy();
                try {
                    server.get().onExit().get(60, TimeUnit.SECONDS);
                    return;
                } catch (TimeoutException slow) {
                    // falls through to SIGKILL
                }
            }
            server.get().destroyForcibly();
            server.get().onExit().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping " + part, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(part + " did not stop", e);
        }
    }

    /**
     * Starts one stopped or killed server again on its own data and waits for it alone: right after a
     * fault the other servers may answer slowly, and that must not fail this restart.
     */
    public void start(String part) {
        run("start", part);
    }

    /**
     * SIGSTOP of one server's recorded process: it keeps its sockets and answers nothing, as in a long
     * pause. Sent from here like {@link #kill}, not through {@code stack freeze}: that launcher's JVM
     * took 7 and 17 s to start on the loaded machine of the cluster scenario, the fault's own time.
     */
    public void freeze(String part) {
        signal(part, "STOP", "frozen");
    }

    /** SIGCONT after {@link #freeze}. */
    public void thaw(String part) {
        signal(part, "CONT", "thawed");
    }

    private void signal(String part, String signal, String done) {
        long pid = pid(part).orElseThrow(() -> new IllegalStateException(part + ": no recorded process of this stack runs"));
        Path log = dir.resolve("stack.log");
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            if (!kill.waitFor(30, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + pid + " (" + part + ") failed; see " + log);
            }
            Files.writeString(log, part + ": " + done + " (pid " + pid + ")\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot signal " + part, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while signalling " + part, e);
        }
    }

    /** The recorded PID of a running server, if any. */
    public Optional<Long> pid(String part) {
        return process(part).filter(ProcessHandle::isAlive).map(ProcessHandle::pid);
    }

    public void stopCassandra() {
        stop(CASSANDRA);
    }

    /** Starts Cassandra again on the same data. */
    public void startCassandra() {
        start(CASSANDRA);
    }

    public void stopKafka() {
        stop(KAFKA);
    }

    /**
     * Environment variables for the launcher beside its options: the Cassandra driver settings of its own sessions
     * (probes, schema) for a node that takes TLS only.
     */
    public PrivateStack launcherEnvironment(Map<String, String> variables) {
        launcherEnvironment.putAll(variables);
        return this;
    }

    /** Starts Kafka again on the same data. */
    public void startKafka() {
        start(KAFKA);
    }

    /**
     * The recorded process of {@code part} while it is still that server. A PID file outlives its process
     * (a server killed with the machine busy, a stack left by a crashed build) and its number may have gone
     * to any other process since: one signalled by mistake could be another build's server, or anything.
     */
    private Optional<ProcessHandle> process(String part) {
        Path pidFile = dir.resolve("run/" + part + ".pid");
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).strip());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        Path partDir = dir.resolve("data").resolve(part);
        return ProcessHandle.of(pid).filter(process -> runsFrom(process, partDir));
    }

    /**
     * The launcher starts each server with its configuration from the part's own directory on its command line
     * (Kafka's server.properties, Cassandra's cassandra.yaml as a file: URL).
     */
    static boolean runsFrom(ProcessHandle process, Path partDir) {
        // With its separator: kafka's directory is a prefix of kafka-2's.
        String path = partDir.toAbsolutePath().normalize() + "/";
        String uriPath = partDir.toAbsolutePath().normalize().toUri().getRawPath().replaceAll("/?$", "/");
        try {
            String commandLine = Files.readString(Path.of("/proc", Long.toString(process.pid()), "cmdline"),
                    StandardCharsets.UTF_8);
            return Stream.of(commandLine.split("\0")).anyMatch(arg -> arg.contains(path) || arg.contains(uriPath));
        } catch (IOException gone) {
            return false;
        }
    }

    /** Releases this JVM's hold: the launcher stops the servers it started for it. */
    @Override
    public void close() {
        run("release", "--owner-pid", Long.toString(ownerPid));
    }

    /**
     * The last lines this command wrote to the stack's log: the log stays behind in the build's
     * target directory, which a CI run discards, so the reason has to travel in the exception.
     */
    private static String outputSince(Path log, long start) {
        try {
            byte[] all = Files.readAllBytes(log);
            String output = new String(all, (int) Math.min(start, all.length), (int) Math.max(0, all.length - start),
                    StandardCharsets.UTF_8);
            List<String> lines = output.lines().toList();
            return ":\n  " + String.join("\n  ", lines.subList(Math.max(0, lines.size() - FAILURE_LINES), lines.size()));
        } catch (IOException e) {
            return " (unreadable: " + e.getMessage() + ")";
        }
    }

    private void run(String... args) {
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("deploy/local/stack").toString()));
        command.addAll(List.of(args));
        Path log = dir.resolve("stack.log");
        try {
            Files.createDirectories(dir);
            long logStart = Files.exists(log) ? Files.size(log) : 0;
            ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().putAll(launcherEnvironment);
            builder.environment().put("TIDEMARK_LOCAL_DIR", dir.toString());
            builder.environment().put("TIDEMARK_STACK_OPTS", opts);
            Process process = builder.start();
            if (!process.waitFor(STACK_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("stack " + String.join(" ", args) + " did not finish; see " + log
                        + outputSince(log, logStart));
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException("stack " + String.join(" ", args) + " failed with exit code "
                        + process.exitValue() + "; see " + log + outputSince(log, logStart));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run deploy/local/stack; see " + log, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running deploy/local/stack", e);
        }
    }
}
