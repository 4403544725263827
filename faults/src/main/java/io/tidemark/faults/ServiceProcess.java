package io.tidemark.faults;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One packaged Tidemark service run as its own JVM on a fixed free port, as it runs in production;
 * it can be killed with SIGKILL and started again on the same port, so clients keep their address.
 */
final class ServiceProcess implements AutoCloseable {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration POLL = Duration.ofMillis(250);

    private final String module;
    private final Path jar;
    private final int port;
    private final int managementPort;
    private final List<String> properties;
    private final String heap;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process process;

    ServiceProcess(Path root, String module, List<String> properties, String heap, Path logDir) throws IOException {
        this.module = module;
        Path packaged = root.resolve(module).resolve("target/quarkus-app");
        if (!Files.isRegularFile(packaged.resolve("quarkus-run.jar"))) {
            throw new IllegalStateException(packaged + "/quarkus-run.jar is missing: package the services first (./mvnw install -DskipTests)");
        }
        // A rebuild of the module during a run replaces target/quarkus-app under the running JVM, which
        // loads its jars lazily and then fails; the suite runs a copy of its own.
        Path copy = root.resolve("faults/target/apps").resolve(module);
        copyTree(packaged, copy);
        this.jar = copy.resolve("quarkus-run.jar");
        this.port = freePort();
        this.managementPort = freePort();
        this.properties = List.copyOf(properties);
        this.heap = heap;
        this.log = Files.createDirectories(logDir).resolve(module + ".log");
    }

    String module() {
        return module;
    }

    /** Starts the JVM (appending to its log across restarts) and waits until /q/health/ready says UP. */
    synchronized void start() throws IOException, InterruptedException {
        // A service that ships JVM options (ingest: a java argument file beside its jar) is tested with
        // them, outages included, as it runs everywhere else.
        Path shipped = jar.resolveSibling("jvm.options");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                Files.isRegularFile(shipped) ? "@" + shipped : "-Xmx" + heap, "-Dquarkus.http.port=" + port,
                "-Dquarkus.management.port=" + managementPort));
        properties.forEach(p -> command.add("-D" + p));
        command.addAll(List.of("-jar", jar.toString()));
        Files.writeString(log, "\n==== " + Instant.now() + " start " + module + " on port " + port + "\n",
                StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        Process started = process;
        // A suite JVM that is killed must not leave its services running.
        Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly));
        awaitReady();
    }

    /** kill -9: no shutdown hook, no flush, no consumer-group leave; what a crash or an OOM killer does. */
    synchronized void kill9() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    long pid() {
        return process == null ? -1 : process.pid();
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** Resident set size of the JVM from /proc, in kB; 0 when it does not run. */
    long rssKb() {
        if (!alive()) {
            return 0;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    /** {@code path} on the management port, where health and metrics are served. */
    URI managementUri(String path) {
        return URI.create("http://127.0.0.1:" + managementPort + path);
    }

    /** One readiness probe. */
    boolean ready() {
        try {
            HttpResponse<String> ready = http.send(HttpRequest.newBuilder(managementUri("/q/health/ready")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return ready.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void awaitReady() throws InterruptedException {
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException(module + " exited with " + process.exitValue() + "; see " + log.toAbsolutePath());
            }
            if (ready()) {
                return;
            }
            Thread.sleep(POLL.toMillis());
        }
        throw new IllegalStateException(module + " not ready within " + READY_TIMEOUT + "; see " + log.toAbsolutePath());
    }

    private static void copyTree(Path from, Path to) throws IOException {
        if (Files.exists(to)) {
            try (var old = Files.walk(to)) {
                for (Path path : old.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            }
        }
        try (var files = Files.walk(from)) {
            for (Path path : files.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target);
                }
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public synchronized void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }
}
