package io.tidemark.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.awaitility.core.ConditionTimeoutException;

import static org.awaitility.Awaitility.await;

/**
 * One packaged Tidemark service ({@code <root>/<module>/target/quarkus-app}) run as its own JVM, as
 * it runs in production: with the {@code jvm.options} it ships, on a public and a management port of
 * its own. It keeps its ports across a kill and a new start, so clients keep their address, and its
 * log across lives, so a test can read what each life wrote. The end-to-end tests, the fault suite
 * and the benchmarks all start services through this class.
 */
public final class ServiceProcess implements AutoCloseable {

    private static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration STOP_GRACE = Duration.ofSeconds(20);
    private static final int LOG_TAIL_LINES = 40;
    private static final Duration PUBLIC_PORT_PATIENCE = Duration.ofSeconds(2);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Duration readyTimeout;
    private final String module;
    private final Path jar;
    private final List<String> command;
    private final Map<String, String> environment;
    private final int port;
    private final int managementPort;
    private final Path log;
    private Process process;
    /** What the last readiness probe got, for the report of a start that timed out. */
    private volatile String lastProbe = "none yet";
    /** Where the current life's output starts in the appended log. */
    private long logStart;

    private ServiceProcess(Builder builder) {
        this.module = builder.module;
        this.readyTimeout = builder.readyTimeout;
        Path packaged = builder.root.resolve(builder.module).resolve("target/quarkus-app");
        if (!Files.isRegularFile(packaged.resolve("quarkus-run.jar"))) {
            throw new IllegalStateException(packaged + "/quarkus-run.jar is missing: package the services first "
                    + "(./mvnw install -DskipTests)");
        }
        Path app = packaged;
        if (builder.copyTo != null) {
            // A rebuild of the module during a long run replaces target/quarkus-app under the running
            // JVM, which loads its jars lazily and then fails: such a run starts a copy of its own.
            app = builder.copyTo.resolve(builder.module);
            copyTree(packaged, app);
        }
        this.jar = app.resolve("quarkus-run.jar");
        this.port = FreePort.next();
        this.managementPort = FreePort.next();
        try {
            this.log = Files.createDirectories(builder.logDir).resolve(builder.logName);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> java = new ArrayList<>(builder.commandPrefix);
        java.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // A service that ships JVM options (a java argument file beside its jar) runs with them, as it
        // runs everywhere else; options given here come after them and so win.
        Path shipped = jar.resolveSibling("jvm.options");
        if (Files.isRegularFile(shipped)) {
            java.add("@" + shipped);
        } else {
            java.add("-Xmx" + builder.heap);
        }
        java.addAll(builder.jvmOptions);
        java.add("-Dquarkus.http.port=" + port);
        java.add("-Dquarkus.management.port=" + managementPort);
        if (builder.profile != null) {
            java.add("-Dquarkus.profile=" + builder.profile);
        }
        builder.properties.forEach(property -> java.add("-D" + property));
        java.addAll(List.of("-jar", jar.toString()));
        this.command = List.copyOf(java);
        this.environment = builder.environment;
    }

    /** A service of the repository at {@code root} (the directory holding the modules). */
    public static Builder of(Path root, String module) {
        return new Builder(root, module);
    }

    /**
     * Starts {@code module} of the repository at {@code -Dtidemark.root} (default {@code ..}) with the
     * production and local profiles and {@code properties} ("key=value"), without waiting for it to be
     * ready: a test of a refusal to start waits for its exit instead.
     */
    public static ServiceProcess launch(String module, List<String> properties) throws IOException {
        Path root = Path.of(System.getProperty("tidemark.root", "..")).toAbsolutePath().normalize();
        return of(root, module).properties(properties).build().launch();
    }

    /** How a service is started. */
    public static final class Builder {
        private final Path root;
        private final String module;
        private List<String> properties = List.of();
        private List<String> jvmOptions = List.of();
        private List<String> commandPrefix = List.of();
        private Map<String, String> environment = Map.of();
        private String heap = "256m";
        private String profile = "prod,local";
        private Path logDir = Path.of("target", "service-logs");
        private String logName;
        private Path copyTo;
        private Duration readyTimeout = DEFAULT_READY_TIMEOUT;

        private Builder(Path root, String module) {
            this.root = root;
            this.module = module;
            this.logName = module + ".log";
        }

        /** System properties, each "key=value". */
        public Builder properties(List<String> properties) {
            this.properties = List.copyOf(properties);
            return this;
        }

        /** Environment variables, as a Kubernetes Deployment hands a Secret's values to the service. */
        public Builder environment(Map<String, String> environment) {
            this.environment = Map.copyOf(environment);
            return this;
        }

        /** JVM options after the shipped ones (which they override), e.g. a heap for one benchmark. */
        public Builder jvmOptions(List<String> jvmOptions) {
            this.jvmOptions = List.copyOf(jvmOptions);
            return this;
        }

        /** The heap of a service that ships no {@code jvm.options}. */
        public Builder heap(String heap) {
            this.heap = heap;
            return this;
        }

        /** Quarkus profiles; null leaves Quarkus's own default ({@code prod}). */
        public Builder profile(String profile) {
            this.profile = profile;
            return this;
        }

        public Builder log(Path dir, String name) {
            this.logDir = dir;
            this.logName = name;
            return this;
        }

        /** Words before {@code java} on the command line: a wrapper such as {@code faketime} that the JVM runs under. */
        public Builder commandPrefix(List<String> prefix) {
            this.commandPrefix = List.copyOf(prefix);
            return this;
        }

        /** Runs a copy of the packaged application placed under {@code dir}. */
        public Builder copyTo(Path dir) {
            this.copyTo = dir;
            return this;
        }

        /** How long {@link ServiceProcess#start()} waits for ready (default three minutes). */
        public Builder readyTimeout(Duration readyTimeout) {
            this.readyTimeout = readyTimeout;
            return this;
        }

        public ServiceProcess build() {
            return new ServiceProcess(this);
        }

        /** Builds, starts and waits until ready. */
        public ServiceProcess start() {
            return build().start();
        }
    }

    /** Starts the JVM, appending to its log, without waiting for it to be ready. */
    public synchronized ServiceProcess launch() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(module + " runs already (pid " + process.pid() + ")");
        }
        Files.writeString(log, "\n==== " + Instant.now() + " start " + module + " on port " + port + "\n",
                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        logStart = Files.size(log);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(environment);
        Process started = builder.start();
        // A JVM that is killed must not leave its services running.
        Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly));
        process = started;
        return this;
    }

    /** Starts the JVM and waits until its readiness says UP. */
    public ServiceProcess start() {
        try {
            launch();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + module, e);
        }
        awaitReady();
        return this;
    }

    /**
     * Waits until {@code /q/health/ready} answers 200; fails at once if the process exits. A process that
     * runs but is not ready in time fails with what tells why in a CI log, where its own log is out of
     * reach: the last probe's answer, the log's last lines, and a thread dump (SIGQUIT) written to its log.
     */
    public void awaitReady() {
        try {
            await(module + " ready; see " + log.toAbsolutePath()).atMost(readyTimeout).pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(250)).until(() -> {
                        if (!isAlive()) {
                            throw new IllegalStateException(module + " exited with " + process.exitValue() + "; see "
                                    + log.toAbsolutePath());
                        }
                        return ready();
                    });
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException(notReadyReport(), e);
        }
    }

    /**
     * One readiness probe; its answer is kept for {@link #notReadyReport()}. Ready means the management
     * port says UP and the public port accepts connections: Quarkus opens the management port first, and
     * a service whose public port then fails to bind has said UP once and exits.
     */
    public boolean ready() {
        try {
            HttpResponse<String> answer = HTTP.send(probe(managementUri("/q/health/ready")),
                    HttpResponse.BodyHandlers.ofString());
            lastProbe = answer.statusCode() + " " + answer.body();
            if (answer.statusCode() != 200) {
                return false;
            }
            if (!ServerProcess.accepts(port, PUBLIC_PORT_PATIENCE)) {
                lastProbe = "readiness 200, but nothing listens on the public port " + port;
                return false;
            }
            return true;
        } catch (IOException e) {
            lastProbe = "no answer (" + e + ")";
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private String notReadyReport() {
        List<String> tail;
        try {
            List<String> lines = logText().lines().toList();
            tail = lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size());
        } catch (IOException e) {
            tail = List.of("(log unreadable: " + e + ")");
        }
        // A live answer tells a failing check (live 200) from a stuck event loop or a JVM still starting (-1).
        int live;
        try {
            live = status(HTTP, managementUri("/q/health/live"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            live = -1;
        }
        String dump = threadDump();
        return module + " (pid " + pid() + ") not ready within " + readyTimeout.toSeconds() + " s; the last probe: "
                + abbreviate(lastProbe.replaceAll("\\s+", " "), 600) + "; /q/health/live: " + live + "; " + dump
                + "; see " + log.toAbsolutePath()
                + "\nthe log's last lines before the dump:\n" + String.join("\n", tail);
    }

    /** Asks the JVM for a thread dump, which it prints to its output, i.e. to the log. */
    private String threadDump() {
        try {
            Process kill = new ProcessBuilder("kill", "-QUIT", Long.toString(pid())).redirectErrorStream(true).start();
            return kill.waitFor(5, TimeUnit.SECONDS) && kill.exitValue() == 0
                    ? "a thread dump follows in its log" : "no thread dump (kill -QUIT failed)";
        } catch (IOException e) {
            return "no thread dump (" + e + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "no thread dump (interrupted)";
        }
    }

    private static HttpRequest probe(URI uri) {
        return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build();
    }

    private static String abbreviate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max) + "…";
    }

    /** The HTTP status of {@code GET uri}, or -1 while nothing listens. */
    public static int status(HttpClient http, URI uri) throws InterruptedException {
        try {
            return http.send(probe(uri), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException notListening) {
            return -1;
        }
    }

    public String module() {
        return module;
    }

    /** The command line, for a benchmark's report. */
    public List<String> command() {
        return command;
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** {@code path} on the management port, where health, metrics and the API document are served. */
    public URI managementUri(String path) {
        return URI.create("http://127.0.0.1:" + managementPort + path);
    }

    public Path log() {
        return log;
    }

    public synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    public synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** SIGKILL, as a crash or the OOM killer would: no shutdown hook, no flush, no last commit. */
    public synchronized void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Waits for the process to end on its own; its exit code, or empty if it still runs after {@code patience}. */
    public OptionalInt awaitExit(Duration patience) throws InterruptedException {
        Process current;
        synchronized (this) {
            current = process;
        }
        return current.waitFor(patience.toMillis(), TimeUnit.MILLISECONDS)
                ? OptionalInt.of(current.exitValue()) : OptionalInt.empty();
    }

    /** What the current life wrote, not its predecessors in the same log. */
    public String logText() throws IOException {
        byte[] all = Files.readAllBytes(log);
        int from = (int) Math.min(logStart, all.length);
        return new String(all, from, all.length - from, StandardCharsets.UTF_8);
    }

    /** Resident set size from /proc, in kB; 0 when it does not run. */
    public long rssKb() {
        if (!isAlive()) {
            return 0;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException gone) {
            return 0;
        }
        return 0;
    }

    /** SIGTERM, then SIGKILL after 20 s: a graceful stop with a bound. */
    @Override
    public synchronized void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            ServerProcess.stop(process, STOP_GRACE);
            if (Thread.interrupted()) {
                throw new InterruptedException("interrupted while stopping " + module);
            }
        }
    }

    /**
     * {@link #close()} of several services, their stops overlapping: each gets SIGTERM before any is waited for, so
     * two dedup replicas take the 2-3 s one of them takes, not twice that.
     */
    public static void closeAll(Collection<ServiceProcess> services) throws InterruptedException {
        for (ServiceProcess service : services) {
            service.terminate();
        }
        for (ServiceProcess service : services) {
            service.close();
        }
    }

    private synchronized void terminate() {
        if (process != null && process.isAlive()) {
            process.destroy();
        }
    }

    /**
     * The same graceful stop with the same bound, without waiting for it: for a test's teardown, once nothing
     * after it reads what the service does, reuses its ports or shares its consumer group. A dedup test calls it
     * once every record is committed, and so stored and published: from then on nothing dedup does is read, and
     * its stop (2-3 s, its six consumers leave the group one after another) overlaps the reads of rows and the
     * clean topic.
     */
    public synchronized void closeInBackground() {
        if (process != null && process.isAlive()) {
            Process stopping = process;
            stopping.destroy();
            stopping.onExit().completeOnTimeout(stopping, STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)
                    .thenAccept(Process::destroyForcibly);
        }
    }

    private static void copyTree(Path from, Path to) {
        try {
            Trees.delete(to);
            try (Stream<Path> files = Files.walk(from)) {
                for (Path path : files.toList()) {
                    Path target = to.resolve(from.relativize(path).toString());
                    if (Files.isDirectory(path)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(path, target);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + from + " to " + to, e);
        }
    }
}
