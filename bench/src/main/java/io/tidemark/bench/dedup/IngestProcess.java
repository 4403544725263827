package io.tidemark.bench.dedup;

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
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged ingest-service as a process of this benchmark. The harness starts each service once
 * with the first caller's properties, and the ingest benchmark starts ingest writing to its own
 * throwaway topic; the latency probe needs ingest writing to the topic dedup reads, so it runs one
 * of its own, launched exactly as the harness launches services.
 */
final class IngestProcess implements AutoCloseable {

    private final Process process;
    private final URI uri;

    private IngestProcess(Process process, URI uri) {
        this.process = process;
        this.uri = uri;
    }

    static IngestProcess start(Path root, Map<String, String> properties) throws Exception {
        Path jar = root.resolve("ingest-service/target/quarkus-app/quarkus-run.jar");
        int port = freePort();
        URI management = URI.create("http://127.0.0.1:" + freePort());
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-Dquarkus.http.port=" + port, "-Dquarkus.management.port=" + management.getPort()));
        properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.addAll(List.of("-jar", jar.toString()));
        Path log = root.resolve("bench/target/dedup-bench-ingest.log");
        Files.createDirectories(log.getParent());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        URI uri = URI.create("http://127.0.0.1:" + port);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Instant deadline = Instant.now().plusSeconds(120);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("ingest-service exited; see " + log);
            }
            try {
                if (http.send(HttpRequest.newBuilder(management.resolve("/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    System.out.printf("  started ingest-service for the latency probe on %s (log %s)%n", uri, log);
                    return new IngestProcess(process, uri);
                }
            } catch (IOException notListeningYet) {
                // keep polling
            }
            Thread.sleep(250);
        }
        process.destroyForcibly();
        throw new IllegalStateException("ingest-service not ready; see " + log);
    }

    URI uri() {
        return uri;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
