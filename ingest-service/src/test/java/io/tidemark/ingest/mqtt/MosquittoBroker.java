package io.tidemark.ingest.mqtt;

import io.tidemark.testsupport.FreePort;
import io.tidemark.testsupport.ServerProcess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real Mosquitto broker (Debian package {@code mosquitto}) on a free loopback port, in memory only,
 * started as a child process and stopped through its own process handle. A missing broker is a failure.
 */
final class MosquittoBroker implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
    private final Process process;
    private final int port;
    private final Path log;

    private MosquittoBroker(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    static MosquittoBroker start() {
        Path binary = binary();
        int port = FreePort.next();
        try {
            Path dir = Files.createDirectories(Path.of("target", "mosquitto", String.valueOf(port))).toAbsolutePath();
            Path conf = dir.resolve("mosquitto.conf");
            Files.writeString(conf, String.join("\n", List.of(
                    "listener " + port + " 127.0.0.1",
                    "allow_anonymous true",
                    "persistence false",
                    "log_dest stderr",
                    "log_type error",
                    "log_type warning",
                    "log_type notice",
                    "log_type information",
                    "")));
            Path log = dir.resolve("mosquitto.log");
            Process process = new ProcessBuilder(binary.toString(), "-c", conf.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            MosquittoBroker broker = new MosquittoBroker(process, port, log);
            ServerProcess.awaitListening(process, "mosquitto", port, START_TIMEOUT, broker::logText);
            return broker;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int port() {
        return port;
    }

    private String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        ServerProcess.stop(process, Duration.ofSeconds(10));
    }

    /** Debian installs the broker in /usr/sbin, which is not on every user's PATH. */
    private static Path binary() {
        Stream<Path> onPath = Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .filter(dir -> !dir.isBlank()).map(dir -> Path.of(dir, "mosquitto"));
        return Stream.concat(onPath, Stream.of(Path.of("/usr/sbin/mosquitto"), Path.of("/usr/local/sbin/mosquitto")))
                .filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new IllegalStateException(
                        "mosquitto is not installed: the MQTT tests need the Debian package mosquitto (.ci/run installs it)"));
    }
}
