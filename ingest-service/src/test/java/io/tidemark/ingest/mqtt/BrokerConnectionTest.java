package io.tidemark.ingest.mqtt;

import io.netty.handler.codec.mqtt.MqttQoS;
import io.tidemark.ingest.config.MqttConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ingest's own MQTT connection against a real Mosquitto that asks for a user name and password. */
class BrokerConnectionTest {

    private static final String USER = "tidemark-ingest";
    private static final String PASSWORD = "s3cret:with spaces";
    private static final long WAIT_SECONDS = 10;

    private static MosquittoBroker broker;
    private static Vertx vertx;
    private static NetClient network;

    /** {@link MqttConfig} as a test gives it, one value a component. */
    record Settings(boolean enabled, String host, int port, String clientId, String topic, Optional<String> sharedGroup,
            Optional<String> username, Optional<String> password, Optional<String> tlsConfigurationName,
            Duration retryDelay, int maxAttempts, long maxHeldQos0Bytes, int maxMessageBytes, Duration reconnectDelay,
            Duration keepAlive) implements MqttConfig {

        static Settings as(String user, String password) {
            return as(user, password, "ingest-" + UUID.randomUUID());
        }

        static Settings as(String user, String password, String clientId) {
            return at("127.0.0.1", broker.port(), Optional.of(user), Optional.of(password), clientId);
        }

        /** Without credentials: a TLS broker knows ingest by its certificate. */
        static Settings at(String host, int port) {
            return at(host, port, Optional.empty(), Optional.empty(), "ingest-" + UUID.randomUUID());
        }

        /** The same settings, with TLS from the named configuration. */
        Settings withTlsConfiguration(String name) {
            return new Settings(enabled, host, port, clientId, topic, sharedGroup, username, password, Optional.of(name),
                    retryDelay, maxAttempts, maxHeldQos0Bytes, maxMessageBytes, reconnectDelay, keepAlive);
        }

        private static Settings at(String host, int port, Optional<String> user, Optional<String> password, String clientId) {
            return new Settings(true, host, port, clientId, "tidemark/+/events", Optional.empty(), user, password,
                    Optional.empty(), Duration.ofSeconds(1), 5, 4096, 1_000, Duration.ofMillis(500), Duration.ofSeconds(1));
        }
    }

    /** What a connection handed on, in order. */
    static final class Recorder implements BrokerConnection.Listener {
        final LinkedBlockingQueue<Object> seen = new LinkedBlockingQueue<>();

        @Override
        public void published(BrokerConnection from, DeviceMessage message) {
            seen.add(message);
        }

        @Override
        public void oversized(BrokerConnection from, OversizedPublish message) {
            seen.add(message);
        }

        @Override
        public void closed(BrokerConnection from) {
            seen.add("closed");
        }

        Object next() throws InterruptedException {
            Object next = seen.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(next, "nothing handed on within " + WAIT_SECONDS + " s");
            return next;
        }
    }

    @BeforeAll
    static void start() {
        broker = MosquittoBroker.withPassword(USER, PASSWORD);
        vertx = Vertx.vertx();
        network = vertx.createNetClient();
    }

    @AfterAll
    static void stop() {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        } finally {
            broker.close();
        }
    }

    @Test
    void withItsCredentialsIngestSubscribesReceivesAcknowledgesAndReadsPastWhatIsTooLarge() throws Exception {
        Recorder recorder = new Recorder();
        Settings settings = Settings.as(USER, PASSWORD);
        BrokerConnection connection = new BrokerConnection(vertx, network, settings, 1_000, recorder);
        assertFalse(await(connection.open()), "a new session");
        assertEquals(List.of(1), await(connection.subscribe("tidemark/+/events", MqttQoS.AT_LEAST_ONCE)));
        assertTrue(connection.isOpen());

        try (DeviceClient device = DeviceClient.device(broker.port(), USER, PASSWORD)) {
            device.publish("tidemark/key-1/events", "x".repeat(2_000));
            device.publish("tidemark/key-1/events", "{\"event\":\"Small\"}");
        }
        OversizedPublish big = (OversizedPublish) recorder.next();
        assertEquals("tidemark/key-1/events", big.topic());
        assertEquals(MqttQoS.AT_LEAST_ONCE, big.qos());
        assertEquals(2 + 21 + 2 + 2_000, big.remainingLength());
        DeviceMessage small = (DeviceMessage) recorder.next();
        assertEquals("{\"event\":\"Small\"}", new String(small.payload(), StandardCharsets.UTF_8));
        assertEquals(MqttQoS.AT_LEAST_ONCE, small.qos());
        connection.acknowledge(big.packetId());
        connection.acknowledge(small.packetId());

        await(connection.disconnect());
        assertEquals("closed", recorder.next());
        assertFalse(connection.isOpen());

        // The session stays, and both messages were acknowledged: the broker has nothing to send again.
        Recorder again = new Recorder();
        BrokerConnection resumed = new BrokerConnection(vertx, network, settings, 1_000, again);
        assertTrue(await(resumed.open()), "the session is present");
        assertNull(again.seen.poll(2, TimeUnit.SECONDS), "nothing sent again");
        await(resumed.disconnect());
    }

    @Test
    void aWrongPasswordIsRefusedByTheBrokerAndSaysSo() {
        BrokerConnection connection = new BrokerConnection(vertx, network, Settings.as(USER, "wrong"), 1_000, new Recorder());
        ExecutionException refused = assertThrows(ExecutionException.class, () -> await(connection.open()));
        assertTrue(refused.getCause().getMessage().contains("CONNECTION_REFUSED_NOT_AUTHORIZED"), refused.getCause().getMessage());
        assertFalse(connection.isOpen());
    }

    @Test
    void aBrokerThatNeverAnswersConnectFailsTheOpeningWithinAKeepAlive() throws Exception {
        broker.pause();
        try {
            BrokerConnection connection = new BrokerConnection(vertx, network, Settings.as(USER, PASSWORD), 1_000, new Recorder());
            ExecutionException silent = assertThrows(ExecutionException.class, () -> await(connection.open()));
            assertTrue(silent.getCause().getMessage().contains("no CONNACK"), silent.getCause().getMessage());
        } finally {
            broker.resume();
        }
    }

    static <T> T await(Future<T> future) throws Exception {
        CompletableFuture<T> done = future.toCompletionStage().toCompletableFuture();
        return done.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }
}
