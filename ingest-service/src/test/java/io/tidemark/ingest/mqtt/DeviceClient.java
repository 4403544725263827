package io.tidemark.ingest.mqtt;

import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;
import io.vertx.mqtt.messages.MqttPublishMessage;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** An MQTT client as a device (or an observer of ingest's session) uses it, on its own Vert.x. */
final class DeviceClient implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private final Vertx vertx = Vertx.vertx();
    private final MqttClient client;
    private final Map<Integer, CompletableFuture<Void>> pubacks = new ConcurrentHashMap<>();
    private final List<MqttPublishMessage> received = new CopyOnWriteArrayList<>();

    private DeviceClient(MqttClientOptions options, int port) {
        client = MqttClient.create(vertx, options);
        client.publishCompletionHandler(id -> pubacks.computeIfAbsent(id, k -> new CompletableFuture<>()).complete(null));
        client.publishHandler(received::add);
        await(client.connect(port, "127.0.0.1").toCompletionStage().toCompletableFuture());
    }

    /** A device with a fresh client id and a clean session. */
    static DeviceClient device(int port) {
        return new DeviceClient(new MqttClientOptions().setClientId("device-" + UUID.randomUUID()), port);
    }

    /** A device with a fresh client id and a clean session, logging in as {@code user}. */
    static DeviceClient device(int port, String user, String password) {
        return new DeviceClient(new MqttClientOptions().setClientId("device-" + UUID.randomUUID()).setUsername(user)
                .setPassword(password), port);
    }

    /** Resumes the persistent session of {@code clientId} without acknowledging what it is sent. */
    static DeviceClient resumingSession(String clientId, int port) {
        MqttClientOptions options = new MqttClientOptions().setClientId(clientId).setCleanSession(false);
        options.setAutoAck(false);
        return new DeviceClient(options, port);
    }

    /** Publishes with QoS 1 and returns once the broker acknowledged (PUBACK) the message. */
    void publish(String topic, String payload) {
        Integer id = await(client.publish(topic, Buffer.buffer(payload), MqttQoS.AT_LEAST_ONCE, false, false)
                .toCompletionStage().toCompletableFuture());
        await(pubacks.computeIfAbsent(id, k -> new CompletableFuture<>()));
    }

    /** Publishes with QoS 0: returns once the message is written, with nothing to wait for from the broker. */
    void publishAtMostOnce(String topic, String payload) {
        await(client.publish(topic, Buffer.buffer(payload), MqttQoS.AT_MOST_ONCE, false, false)
                .toCompletionStage().toCompletableFuture());
    }

    List<MqttPublishMessage> received() {
        return received;
    }

    @Override
    public void close() {
        try {
            if (client.isConnected()) {
                await(client.disconnect().toCompletionStage().toCompletableFuture());
            }
        } finally {
            vertx.close();
        }
    }

    private static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("MQTT operation did not complete within " + TIMEOUT, e);
        }
    }
}
