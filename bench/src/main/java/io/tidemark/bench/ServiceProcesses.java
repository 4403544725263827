package io.tidemark.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The services a benchmark asked for, each its packaged JVM on a free port as in production, so
 * the figures include real HTTP, Kafka and Cassandra hops and never a bench-tuned copy.
 */
final class ServiceProcesses implements AutoCloseable {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
    /** The JVM options a service ships beside its quarkus-run.jar (see ingest-service/src/main/jvm). */
    private static final String JVM_OPTIONS = "jvm.options";

    private record Running(Process process, URI uri) {
    }

    private final Path root;
    private final Path logDir;
    private final String serviceHeap;
    private final Map<String, Running> running = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    ServiceProcesses(Path root, Path logDir, String serviceHeap) {
        this.root = root;
        this.logDir = logDir;
        this.serviceHeap = serviceHeap;
    }

    synchronized URI start(String module, Map<String, String> properties) throws Exception {
        Running existing = running.get(module);
        if (existing != null) {
            return existing.uri();
        }
        Path jar = root.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: bench/run packages the services first");
        }
        int port = freePort();
        URI management = URI.create("http://127.0.0.1:" + freePort());
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        // A service that ships JVM options (a java argument file beside its jar) is measured with them, as
        // it runs everywhere else; an explicit bench heap still comes after them and so wins.
        Path shipped = jar.resolveSibling(JVM_OPTIONS);
        String heap = System.getProperty("tidemark.bench.heap." + module, System.getProperty("tidemark.bench.service-heap"));
        if (Files.isRegularFile(shipped)) {
            command.add("@" + shipped);
        } else if (heap == null) {
            heap = serviceHeap;
        }
        if (heap != null) {
            command.add("-Xmx" + heap);
        }
        command.addAll(List.of("-Dquarkus.http.port=" + port, "-Dquarkus.management.port=" + management.getPort(),
                "-Dquarkus.profile=prod,local"));
        // Extra JVM flags for one service (comma- or space-separated), e.g. a small-footprint setting.
        String jvm = System.getProperty("tidemark.bench.jvm." + module, "").trim();
        if (!jvm.isEmpty()) {
            command.addAll(List.of(jvm.split("[,\\s]+")));
        }
        properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.addAll(List.of("-jar", jar.toString()));
        Files.createDirectories(logDir);
        Path log = logDir.resolve(module + ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        URI uri = URI.create("http://127.0.0.1:" + port);
        awaitReady(module, process, management, log);
        running.put(module, new Running(process, uri));
        System.out.printf("  started %s on %s (pid %d, log %s)%n    %s%n", module, uri, process.pid(), log,
                String.join(" ", command.subList(1, command.size())));
        return uri;
    }

    long rssKb(String module) {
        Running service = running.get(module);
        if (service == null) {
            throw new IllegalStateException(module + " was not started by this run");
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(service.process().pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the RSS of " + module, e);
        }
        throw new IllegalStateException("no VmRSS for " + module);
    }

    /** Polls readiness on the service's management port, where Quarkus serves its health checks. */
    private void awaitReady(String module, Process process, URI management, Path log) throws Exception {
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException(module + " exited with " + process.exitValue() + "; see " + log);
            }
            try {
                HttpResponse<Void> ready = http.send(HttpRequest.newBuilder(management.resolve("/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (ready.statusCode() == 200) {
                    return;
                }
            } catch (IOException notListeningYet) {
                // keep polling until the deadline
            }
            Thread.sleep(250);
        }
        process.destroyForcibly();
        throw new IllegalStateException(module + " not ready within " + READY_TIMEOUT + "; see " + log);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public synchronized void close() throws InterruptedException {
        for (Running service : running.values()) {
            service.process().destroy();
        }
        for (Running service : running.values()) {
            if (!service.process().waitFor(20, TimeUnit.SECONDS)) {
                service.process().destroyForcibly().waitFor();
            }
        }
        running.clear();
    }
}
