package io.tidemark.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** One run of the packaged bulk loader as its own JVM, as a workflow tool starts it: so a kill -9 is real. */
final class BulkLoaderProcess {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private BulkLoaderProcess(Process process, Path stdout, Path stderr) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    static BulkLoaderProcess start(Map<String, String> environment, String... arguments) throws IOException {
        Path root = Path.of(System.getProperty("tidemark.root", "..")).toAbsolutePath().normalize();
        Path jar = root.resolve("bulk-loader/target/tidemark-bulk-loader.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: package bulk-loader first");
        }
        Path logs = Files.createDirectories(Path.of("target", "e2e-logs", "bulk-loader")).toAbsolutePath();
        String run = UUID.randomUUID().toString().substring(0, 8);
        Path stdout = logs.resolve(run + ".out.json");
        Path stderr = logs.resolve(run + ".err.log");
        // As the image and bench/run start it: with the options it ships beside its jar.
        Path shipped = jar.resolveSibling("jvm.options");
        if (!Files.isRegularFile(shipped)) {
            throw new IllegalStateException(shipped + " is missing: package bulk-loader first");
        }
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + shipped, "-jar", jar.toString(), "load"));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        builder.environment().putAll(environment);
        Process process = builder.start();
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        return new BulkLoaderProcess(process, stdout, stderr);
    }

    /** Waits for the run to end; its exit code. */
    int awaitExit(Duration patience) throws Exception {
        if (!process.waitFor(patience.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError("the loader did not finish within " + patience + "; stderr:\n" + progress());
        }
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL: no shutdown hook, no last chunk, no watermark. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /** The JSON summary the run printed on stdout. */
    JsonNode summary() throws IOException {
        return JSON.readTree(Files.readString(stdout));
    }

    /** What the run printed on stdout. */
    String output() throws IOException {
        return Files.readString(stdout);
    }

    /** The progress lines printed so far on stderr. */
    String progress() throws IOException {
        return Files.readString(stderr);
    }
}
