package io.tidemark.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A throw-away single-node KRaft Kafka on given loopback ports, from the server classpath the build's
 * {@code deploy/local/stack ensure} already prepared: one a test starts late to play a Kafka that comes
 * back, or one that lets in only clients that log in over TLS or show a certificate. It never touches the shared stack, and is stopped
 * through its own process handle.
 */
public final class PrivateKafka implements AutoCloseable {

    private static final Path KAFKA_LIB = Path.of("..", "deploy", "local", "target", "stack", "kafka-lib");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private final Process process;
    private final Path log;

    private PrivateKafka(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Plain connections, as the local stack's broker takes them. */
    public static PrivateKafka start(int port, int controllerPort) {
        return start(port, controllerPort, List.of(
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "inter.broker.listener.name=PLAINTEXT"));
    }

    /**
     * Only clients that log in with SASL PLAIN as one of {@code users} (name to password), over TLS, as a managed
     * Kafka asks (SASL_SSL): the broker shows {@code certificate}, which a client verifies against the authority
     * that signed it, and talks to itself as a user of its own the same way.
     */
    public static PrivateKafka withLoginsOverTls(int port, int controllerPort, Map<String, String> users,
            TestCertificates.Issued certificate, Path authority) {
        String logins = users.entrySet().stream().map(user -> " user_" + user.getKey() + "=\"" + user.getValue() + "\"")
                .collect(Collectors.joining());
        return start(port, controllerPort, List.of(
                "listeners=SASL_SSL://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=SASL_SSL://127.0.0.1:" + port,
                "listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
                "inter.broker.listener.name=SASL_SSL",
                "ssl.keystore.type=PEM",
                "ssl.keystore.location=" + pemKeyStore(certificate, port),
                "ssl.truststore.type=PEM",
                "ssl.truststore.location=" + authority,
                "sasl.enabled.mechanisms=PLAIN",
                "sasl.mechanism.inter.broker.protocol=PLAIN",
                "listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule"
                        + " required username=\"broker\" password=\"broker-secret\" user_broker=\"broker-secret\"" + logins + ";"));
    }

    /**
     * Only clients that show a certificate signed by {@code authority} (mutual TLS, Strimzi's {@code tls}
     * authentication and many managed Kafkas'): the broker shows {@code certificate}, which must allow both server and
     * client use, as it talks to itself the same way.
     */
    public static PrivateKafka withClientCertificates(int port, int controllerPort, TestCertificates.Issued certificate,
            Path authority) {
        return start(port, controllerPort, List.of(
                "listeners=SSL://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=SSL://127.0.0.1:" + port,
                "listener.security.protocol.map=SSL:SSL,CONTROLLER:PLAINTEXT",
                "inter.broker.listener.name=SSL",
                "ssl.client.auth=required",
                "ssl.keystore.type=PEM",
                "ssl.keystore.location=" + pemKeyStore(certificate, port),
                "ssl.truststore.type=PEM",
                "ssl.truststore.location=" + authority));
    }

    /** Kafka's PEM key store is one file: the private key (PKCS#8, unencrypted), then the certificate. */
    private static Path pemKeyStore(TestCertificates.Issued certificate, int port) {
        Path keyStore = certificate.certificate().resolveSibling("kafka-" + port + "-keystore.pem");
        try {
            Files.writeString(keyStore, Files.readString(certificate.key()) + Files.readString(certificate.certificate()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return keyStore;
    }

    private static PrivateKafka start(int port, int controllerPort, List<String> listeners) {
        if (!Files.isDirectory(KAFKA_LIB)) {
            throw new IllegalStateException(KAFKA_LIB.toAbsolutePath()
                    + " is missing: the build's deploy/local/stack ensure prepares it before the tests");
        }
        try {
            Path dir = Files.createDirectories(Path.of("target", "private-kafka", String.valueOf(port))).toAbsolutePath();
            Path conf = dir.resolve("server.properties");
            List<String> lines = new ArrayList<>(List.of(
                    "process.roles=broker,controller",
                    "node.id=1",
                    "controller.quorum.bootstrap.servers=127.0.0.1:" + controllerPort,
                    "controller.listener.names=CONTROLLER"));
            lines.addAll(listeners);
            lines.addAll(List.of(
                    "log.dirs=" + dir.resolve("data"),
                    // Producers create the topics on first use, as the local stack's topic list would.
                    "auto.create.topics.enable=true",
                    "num.partitions=1",
                    "offsets.topic.replication.factor=1",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "default.replication.factor=1",
                    "min.insync.replicas=1",
                    "group.initial.rebalance.delay.ms=0",
                    ""));
            Files.writeString(conf, String.join("\n", lines));
            String classpath = KAFKA_LIB.toAbsolutePath() + "/*";
            Path log = dir.resolve("kafka.log");
            run(List.of(java(), "-cp", classpath, "kafka.tools.StorageTool", "format", "-t", clusterId(),
                    "-c", conf.toString(), "--standalone"), log);
            List<String> command = new ArrayList<>(List.of(java(), "-Xms256m", "-Xmx256m", "-XX:+UseG1GC",
                    "-Dkafka.logs.dir=" + dir.resolve("logs"), "-cp", classpath, "kafka.Kafka", conf.toString()));
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            PrivateKafka kafka = new PrivateKafka(process, log);
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroy, "stop-private-kafka"));
            ServerProcess.awaitListening(process, "private Kafka", port, START_TIMEOUT, kafka::logText);
            return kafka;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A cluster id as Kafka draws one: 16 random bytes in URL-safe base64, not starting with a dash (an option to the tool). */
    private static String clusterId() {
        SecureRandom random = new SecureRandom();
        byte[] bytes = new byte[16];
        String id;
        do {
            random.nextBytes(bytes);
            id = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        } while (id.startsWith("-"));
        return id;
    }

    private static void run(List<String> command, Path log) throws IOException {
        Process format = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        try {
            if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
                format.destroyForcibly();
                throw new IllegalStateException("formatting Kafka storage failed: " + Files.readString(log));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    @Override
    public void close() {
        ServerProcess.stop(process, Duration.ofSeconds(30));
    }
}
