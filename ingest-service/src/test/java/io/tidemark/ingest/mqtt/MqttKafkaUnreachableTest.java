package io.tidemark.ingest.mqtt;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.tidemark.testsupport.FreePort;
import io.tidemark.ingest.ManagementPort;
import io.tidemark.ingest.config.MqttConfig;
import io.vertx.mqtt.messages.MqttPublishMessage;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ingest pointed at a port where no Kafka listens (the shared Kafka is never stopped): a device's
 * message is not acknowledged to the broker, so the broker still holds it for ingest's session and
 * sends it again when that session resumes. Nothing Kafka did not take is ever acknowledged.
 */
@QuarkusTest
@TestProfile(MqttKafkaUnreachableTest.NoKafka.class)
class MqttKafkaUnreachableTest {

    /** MQTT on against a private Mosquitto; Kafka producers aimed at a free local port. */
    public static class NoKafka implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("kafka.bootstrap.servers", "127.0.0.1:" + FreePort.next(),
                    "tidemark.ingest.mqtt.max-held-qos0-bytes", Long.toString(HELD_QOS0_BYTES));
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(MosquittoResource.class));
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Room for two of the QoS 0 messages below, not three. */
    private static final long HELD_QOS0_BYTES = 1_000;

    @Inject
    MqttDeviceSubscriber subscriber;

    @Inject
    MqttConfig mqtt;

    @Test
    void messageKafkaDidNotTakeStaysUnacknowledgedAndTheBrokerSendsItAgain() {
        MqttDeviceIngestTest.awaitSubscribed(subscriber);
        String messageId = "mqtt-" + UUID.randomUUID();
        double retriedBefore = DeviceMetrics.value(MqttDeviceIngestTest.SOURCE, "retry");
        try (DeviceClient device = DeviceClient.device(mqtt.port())) {
            device.publish(MqttDeviceIngestTest.TOPIC,
                    "{\"messageId\":\"" + messageId + "\",\"userId\":\"sensor-11\",\"event\":\"Kept\"}");
        }
        DeviceMetrics.awaitAbove(MqttDeviceIngestTest.SOURCE, "retry", retriedBefore, WAIT);
        subscriber.stop().await().atMost(WAIT);
        given().when().get(ManagementPort.url("health/well"))
                .then().statusCode(503).body("checks.find { it.name == 'mqtt-devices' }.status", equalTo("DOWN"));

        // Taking over ingest's session shows what the broker still owes it: the unacknowledged message.
        try (DeviceClient session = DeviceClient.resumingSession(mqtt.clientId(), mqtt.port())) {
            List<MqttPublishMessage> again = await("the broker sends the unacknowledged message again").atMost(WAIT)
                    .until(() -> mine(session, messageId), messages -> !messages.isEmpty());
            assertEquals(1, again.size());
            assertTrue(again.get(0).isDup(), "sent again as a duplicate delivery of the unacknowledged message");
            assertEquals(MqttDeviceIngestTest.TOPIC, again.get(0).topicName());
        }
    }

    @Test
    void qos0MessagesKafkaDidNotTakeAreHeldForAnotherTryOnlyUpToTheirLimitAndDroppedPastIt() {
        subscriber.start();
        MqttDeviceIngestTest.awaitSubscribed(subscriber);
        double droppedBefore = DeviceMetrics.value(MqttDeviceIngestTest.SOURCE, "dropped");
        double retriedBefore = DeviceMetrics.value(MqttDeviceIngestTest.SOURCE, "retry");
        String pad = "p".repeat(330);
        int bytes = 0;
        try (DeviceClient device = DeviceClient.device(mqtt.port())) {
            for (int i = 0; i < 5; i++) {
                String payload = "{\"messageId\":\"qos0-" + UUID.randomUUID() + "\",\"userId\":\"sensor-12\",\"event\":\"Loose\","
                        + "\"properties\":{\"pad\":\"" + pad + "\"}}";
                bytes = payload.length();
                device.publishAtMostOnce(MqttDeviceIngestTest.TOPIC, payload);
            }
        }
        assertTrue(2 * bytes <= HELD_QOS0_BYTES && 3 * bytes > HELD_QOS0_BYTES, "two fit, three do not: " + bytes);
        // Each message fails at once (no Kafka); the first two are held for another try, the others dropped.
        await("three of five QoS 0 messages dropped").atMost(WAIT)
                .until(() -> DeviceMetrics.value(MqttDeviceIngestTest.SOURCE, "dropped") - droppedBefore >= 3);
        DeviceMetrics.awaitAbove(MqttDeviceIngestTest.SOURCE, "retry", retriedBefore + 5, WAIT);
        assertEquals(2L * bytes, subscriber.heldQos0Bytes(), "what is held stays within the limit");
        assertEquals(3, DeviceMetrics.value(MqttDeviceIngestTest.SOURCE, "dropped") - droppedBefore);

        subscriber.stop().await().atMost(WAIT);
        try {
            // The held ones go with the connection: the broker never sends a QoS 0 message again.
            await().atMost(WAIT).until(() -> subscriber.heldQos0Bytes() == 0);
            assertEquals(5, DeviceMetrics.value(MqttDeviceIngestTest.SOURCE, "dropped") - droppedBefore);
        } finally {
            subscriber.start();
        }
    }

    private static List<MqttPublishMessage> mine(DeviceClient session, String messageId) {
        return session.received().stream()
                .filter(m -> m.payload().toString(StandardCharsets.UTF_8).contains(messageId)).toList();
    }
}
