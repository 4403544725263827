package io.tidemark.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A real S3-compatible server for tests: S3Proxy (from Maven Central, its jar copied by the using
 * module's build to {@code tidemark.test.s3proxy.jar}) on its filesystem backend, run as a separate
 * process on a free port with one bucket, and stopped by its PID.
 */
public final class S3ProxyServer {

    public static final String BUCKET = "tidemark-marts";
    public static final String ACCESS_KEY = "test-access";
    public static final String SECRET_KEY = "test-secret";

    private final Map<String, String> settings;
    private Path dir;
    private Process process;
    private URI endpoint;

    public S3ProxyServer() {
        this(Map.of());
    }

    /**
     * With more of S3Proxy's own settings, e.g. its latency middleware ({@code s3proxy.latency-blobstore=true},
     * {@code s3proxy.latency-blobstore.put.latency=<ms>}) for a bucket as slow as one across a network.
     */
    public S3ProxyServer(Map<String, String> settings) {
        this.settings = Map.copyOf(settings);
    }

    /** Starts the server; answers mart's settings for its bucket ({@code tidemark.mart.store.*}). */
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("tidemark-s3proxy-");
            // The filesystem backend's buckets are the directories under its base directory.
            Files.createDirectories(dir.resolve("data").resolve(BUCKET));
            endpoint = URI.create("http://127.0.0.1:" + FreePort.next());
            List<String> conf = new ArrayList<>(List.of(
                    "s3proxy.endpoint=" + endpoint,
                    "s3proxy.authorization=aws-v2-or-v4",
                    "s3proxy.identity=" + ACCESS_KEY,
                    "s3proxy.credential=" + SECRET_KEY,
                    "jclouds.provider=filesystem-nio2",
                    "jclouds.filesystem.basedir=" + dir.resolve("data")));
            settings.forEach((name, value) -> conf.add(name + "=" + value));
            Files.writeString(dir.resolve("s3proxy.conf"), String.join("\n", conf) + "\n");
            String java = ProcessHandle.current().info().command().orElse("java");
            process = new ProcessBuilder(List.of(java, "-Xmx256m", "-jar", jar().toString(),
                    "--properties", dir.resolve("s3proxy.conf").toString()))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("s3proxy.log").toFile()).start();
            // A test JVM that is killed must not leave the server running.
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
            Path log = dir.resolve("s3proxy.log");
            ServerProcess.awaitListening(process, "S3Proxy", endpoint.getPort(), Duration.ofSeconds(60), () -> "see " + log);
            return Map.of("tidemark.mart.store.kind", "s3",
                    "tidemark.mart.store.s3.endpoint", endpoint.toString(),
                    "tidemark.mart.store.s3.bucket", BUCKET,
                    "tidemark.mart.store.s3.prefix", "marts/",
                    "tidemark.mart.store.s3.access-key-id", ACCESS_KEY,
                    "tidemark.mart.store.s3.secret-access-key", SECRET_KEY);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public URI endpoint() {
        return endpoint;
    }

    /** The keys of the bucket's objects: the filesystem backend keeps each as a file under the bucket's directory. */
    public List<String> keys() {
        Path bucket = dir.resolve("data").resolve(BUCKET);
        try (Stream<Path> files = Files.walk(bucket)) {
            return files.filter(Files::isRegularFile).map(f -> bucket.relativize(f).toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path jar() {
        Path jar = Path.of(System.getProperty("tidemark.test.s3proxy.jar", "target/s3proxy/s3proxy.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("S3Proxy jar missing at " + jar + ": the build copies it in generate-test-resources");
        }
        return jar;
    }

    /** Stops the server by its PID and removes its files. */
    public void stop() {
        if (process != null) {
            ServerProcess.stop(process, Duration.ofSeconds(10));
        }
        if (dir == null) {
            return;
        }
        try {
            Trees.delete(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
