package io.tidemark.ingest.mqtt;

import io.tidemark.testsupport.FreePort;
import io.tidemark.testsupport.ServerProcess;
import io.tidemark.testsupport.TestCertificates;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A real Mosquitto broker (Debian package {@code mosquitto}) on a free loopback port, in memory only,
 * started as a child process and stopped through its own process handle. A missing broker is a failure.
 */
final class MosquittoBroker implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
    private static final int NO_PORT = -1;
    private final Process process;
    private final int port;
    private final int tlsPort;
    private final Path log;

    private MosquittoBroker(Process process, int port, int tlsPort, Path log) {
        this.process = process;
        this.port = port;
        this.tlsPort = tlsPort;
        this.log = log;
    }

    static MosquittoBroker start() {
        return start(dir -> List.of("allow_anonymous true"), NO_PORT);
    }

    /**
     * A broker with a plain listener for devices and a TLS listener at {@link #tlsPort()}, which shows
     * {@code server} and lets in only a client whose certificate {@code authority} signed, that certificate's
     * name becoming the client's user name.
     */
    static MosquittoBroker withTls(TestCertificates.Issued server, Path authority) {
        int tlsPort = FreePort.next();
        return start(dir -> List.of("allow_anonymous true",
                "listener " + tlsPort + " 127.0.0.1",
                "certfile " + server.certificate(),
                "keyfile " + server.key(),
                "cafile " + authority,
                "require_certificate true",
                "use_identity_as_username true"), tlsPort);
    }

    /** A broker that lets in only {@code user} with {@code password} (a password file made by mosquitto_passwd). */
    static MosquittoBroker withPassword(String user, String password) {
        return start(dir -> {
            Path passwords = dir.resolve("passwords");
            run(List.of(binary("mosquitto_passwd").toString(), "-c", "-b", passwords.toString(), user, password));
            return List.of("allow_anonymous false", "password_file " + passwords);
        }, NO_PORT);
    }

    /** Where a device, or an operator's tool, sends Mosquitto's dynamic-security commands. */
    static final String SECURITY_COMMANDS = "$CONTROL/dynamic-security/v1";

    /**
     * A broker that lets anyone in and publish, but refuses every subscription (SUBACK 0x80), as after a mistake in
     * its access rules: Mosquitto's dynamic-security plugin (part of the Debian package) with subscriptions denied
     * by default. Clients may send the plugin's commands to {@link #SECURITY_COMMANDS}, e.g. to allow them.
     */
    static MosquittoBroker withSubscriptionsDenied() {
        Path plugin = Stream.of(Path.of("/usr/lib"), Path.of("/usr/lib/x86_64-linux-gnu"), Path.of("/usr/lib/aarch64-linux-gnu"))
                .map(dir -> dir.resolve("mosquitto_dynamic_security.so")).filter(Files::isRegularFile).findFirst()
                .orElseThrow(() -> new IllegalStateException("mosquitto_dynamic_security.so is not installed: the "
                        + "Debian package mosquitto brings it"));
        return start(dir -> {
            Path rules = dir.resolve("dynamic-security.json");
            try {
                Files.writeString(rules, """
                        {"defaultACLAccess": {"publishClientSend": true, "publishClientReceive": true,
                                              "subscribe": false, "unsubscribe": true},
                         "clients": [],
                         "roles": [{"rolename": "operator", "acls": [{"acltype": "publishClientSend",
                                    "topic": "$CONTROL/dynamic-security/#", "allow": true}]}],
                         "groups": [{"groupname": "anonymous", "roles": [{"rolename": "operator"}]}],
                         "anonymousGroup": "anonymous"}
                        """);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            // As root it would run as the user mosquitto, who may not save the rules in this directory.
            return List.of("allow_anonymous true", "user root", "plugin " + plugin, "plugin_opt_config_file " + rules);
        }, NO_PORT);
    }

    /** @param access the lines after the plain listener's: who may connect, and further listeners */
    private static MosquittoBroker start(Function<Path, List<String>> access, int tlsPort) {
        Path binary = binary("mosquitto");
        int port = FreePort.next();
        try {
            Path dir = Files.createDirectories(Path.of("target", "mosquitto", String.valueOf(port))).toAbsolutePath();
            Path conf = dir.resolve("mosquitto.conf");
            List<String> lines = new ArrayList<>(List.of("listener " + port + " 127.0.0.1"));
            lines.addAll(access.apply(dir));
            lines.addAll(List.of("persistence false", "log_dest stderr", "log_type error", "log_type warning",
                    "log_type notice", "log_type information", ""));
            Files.writeString(conf, String.join("\n", lines));
            Path log = dir.resolve("mosquitto.log");
            Process process = new ProcessBuilder(binary.toString(), "-c", conf.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            MosquittoBroker broker = new MosquittoBroker(process, port, tlsPort, log);
            ServerProcess.awaitListening(process, "mosquitto", port, START_TIMEOUT, broker::logText);
            return broker;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int port() {
        return port;
    }

    /** The TLS listener's port, of a broker started {@link #withTls}. */
    int tlsPort() {
        if (tlsPort == NO_PORT) {
            throw new IllegalStateException("this broker has no TLS listener");
        }
        return tlsPort;
    }

    /** What the broker logged so far: whom it let in, and as which user. */
    String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Stops the broker's process where it stands (SIGSTOP): its sockets stay open, and nothing answers. */
    void pause() {
        signal("STOP");
    }

    /** Lets a paused broker run on (SIGCONT). */
    void resume() {
        signal("CONT");
    }

    private void signal(String name) {
        run(List.of("kill", "-" + name, String.valueOf(process.pid())));
    }

    private static void run(List<String> command) {
        try {
            Process run = new ProcessBuilder(command).inheritIO().start();
            if (run.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        ServerProcess.stop(process, Duration.ofSeconds(10));
    }

    /** Debian installs the broker in /usr/sbin, which is not on every user's PATH. */
    private static Path binary(String name) {
        Stream<Path> onPath = Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .filter(dir -> !dir.isBlank()).map(dir -> Path.of(dir, name));
        return Stream.concat(onPath, Stream.of(Path.of("/usr/sbin", name), Path.of("/usr/bin", name), Path.of("/usr/local/sbin", name)))
                .filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new IllegalStateException(
                        "mosquitto is not installed: the MQTT tests need the Debian package mosquitto (.ci/run installs it)"));
    }
}
