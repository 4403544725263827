package io.tidemark.ingest.mqtt;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.event.EventFlag;
import io.tidemark.event.EventType;
import io.tidemark.ingest.ManagementPort;
import io.tidemark.ingest.TopicTail;
import io.tidemark.ingest.config.MqttConfig;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Devices publish over a real Mosquitto with QoS 1; ingest stores their events on the real Kafka of the
 * local stack exactly as the HTTP API does (key, source, times, dead letters).
 */
@QuarkusTest
@TestProfile(MqttDeviceIngestTest.WithBroker.class)
class MqttDeviceIngestTest {

    /** MQTT switched on against a private Mosquitto. */
    public static class WithBroker implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(MosquittoResource.class));
        }
    }

    static final String SOURCE = "ingest-test";
    static final String TOPIC = "tidemark/ingest-test-key/events";
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Inject
    MqttDeviceSubscriber subscriber;

    @Inject
    MqttConfig mqtt;

    @MosquittoResource.Broker
    MosquittoBroker broker;

    @BeforeEach
    void ingestIsSubscribed() {
        awaitSubscribed(subscriber);
    }

    @Test
    void trackEventPublishedByADeviceIsOnTheRawTopicWithItsSourceAndEventTime() {
        String messageId = "mqtt-" + UUID.randomUUID();
        Instant anHourAgo = Instant.now().minus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.MILLIS);
        try (TopicTail raw = new TopicTail(TopicTail.RAW); DeviceClient device = DeviceClient.device(mqtt.port())) {
            // No type: a single event from a device is a track call.
            device.publish(TOPIC, "{\"messageId\":\"" + messageId + "\",\"userId\":\"sensor-7\",\"event\":\"Temperature Read\","
                    + "\"properties\":{\"celsius\":21.5},\"timestamp\":\"" + anHourAgo + "\"}");

            List<ConsumerRecord<String, byte[]>> mine = raw.withKey(SOURCE + ":" + messageId, 1, WAIT);
            assertEquals(1, mine.size());
            CollectedEvent event = EventCodec.decode(mine.get(0).value());
            assertEquals(SOURCE, event.source());
            assertEquals(messageId, event.messageId());
            assertEquals(EventType.TRACK, event.type());
            assertEquals("Temperature Read", event.event());
            assertEquals(21.5, event.properties().get("celsius").asDouble());
            assertEquals(anHourAgo, event.timestamp());
            assertTrue(event.receivedAt().isAfter(anHourAgo), "receivedAt is stamped by ingest");
        }
    }

    @Test
    void batchFromADeviceStoresTheValidEventsSkewCorrectedAndParksTheInvalidOne() {
        String first = "mqtt-" + UUID.randomUUID();
        String second = "mqtt-" + UUID.randomUUID();
        String invalid = "mqtt-" + UUID.randomUUID();
        // The device's clock runs an hour fast: only the ten minutes between the event and the send count.
        Instant deviceNow = Instant.now().plus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.MILLIS);
        Instant deviceEventTime = deviceNow.minus(10, ChronoUnit.MINUTES);
        try (TopicTail raw = new TopicTail(TopicTail.RAW); TopicTail deadLetters = new TopicTail(TopicTail.DEAD_LETTER);
                DeviceClient device = DeviceClient.device(mqtt.port())) {
            device.publish(TOPIC, "{\"sentAt\":\"" + deviceNow + "\",\"context\":{\"device\":{\"model\":\"TM-1\"}},\"batch\":["
                    + "{\"type\":\"track\",\"messageId\":\"" + first + "\",\"userId\":\"sensor-8\",\"event\":\"Door Opened\","
                    + "\"timestamp\":\"" + deviceEventTime + "\"},"
                    + "{\"type\":\"track\",\"messageId\":\"" + invalid + "\",\"event\":\"Nobody\"},"
                    + "{\"type\":\"track\",\"messageId\":\"" + second + "\",\"userId\":\"sensor-8\",\"event\":\"Door Closed\"}]}");

            CollectedEvent opened = EventCodec.decode(raw.withKey(SOURCE + ":" + first, 1, WAIT).get(0).value());
            CollectedEvent closed = EventCodec.decode(raw.withKey(SOURCE + ":" + second, 1, WAIT).get(0).value());
            assertEquals("Door Opened", opened.event());
            assertEquals(opened.receivedAt().minus(10, ChronoUnit.MINUTES), opened.timestamp());
            assertTrue(opened.flags().contains(EventFlag.SKEW_CORRECTED));
            assertEquals("TM-1", opened.context().get("device").get("model").asText());
            assertEquals("Door Closed", closed.event());

            List<ConsumerRecord<String, byte[]>> parked = deadLetters.withKey(SOURCE + ":" + invalid, 1, WAIT);
            assertEquals(1, parked.size());
            assertEquals("userId", header(parked.get(0), "tidemark-field"));
            assertEquals(SOURCE, header(parked.get(0), "tidemark-source"));
            assertTrue(header(parked.get(0), "tidemark-reason").contains("userId or anonymousId is required"));
            assertTrue(raw.withKey(SOURCE + ":" + invalid, 1, Duration.ZERO).isEmpty());
        }
    }

    @Test
    void aMessageRefusedWholeIsParkedAndCountedAsRejectedOnce() {
        String marker = "mqtt-" + UUID.randomUUID();
        double before = DeviceMetrics.rejected(SOURCE, "invalid");
        try (TopicTail deadLetters = new TopicTail(TopicTail.DEAD_LETTER); DeviceClient device = DeviceClient.device(mqtt.port())) {
            // Batch defaults that are not an object refuse the whole batch before any of its events.
            device.publish(TOPIC, "{\"context\":5,\"batch\":[{\"type\":\"track\",\"messageId\":\"" + marker
                    + "\",\"userId\":\"sensor-12\",\"event\":\"Tilted\"}]}");
            List<ConsumerRecord<String, byte[]>> parked = deadLetters.readUntil(
                    records -> records.stream().anyMatch(r -> value(r).contains(marker)), WAIT).stream()
                    .filter(r -> value(r).contains(marker)).toList();
            assertEquals(1, parked.size());
            assertEquals("context", header(parked.get(0), "tidemark-field"));
        }
        assertEquals(before + 1, DeviceMetrics.rejected(SOURCE, "invalid"), "one message of one event, refused once");
    }

    @Test
    void aBatchWhoseDefaultsWouldGrowPastTheRequestLimitCountsEachOfItsEventsOnce() {
        String marker = "mqtt-" + UUID.randomUUID();
        int events = 30;
        // 20 KB of context merged into each of 30 events: 600 KB, over the 500 KB a request may hold.
        String context = "{\"note\":\"" + "x".repeat(20_000) + "\"}";
        StringBuilder batch = new StringBuilder("{\"context\":" + context + ",\"batch\":[");
        for (int i = 0; i < events; i++) {
            batch.append(i == 0 ? "" : ",").append("{\"type\":\"track\",\"messageId\":\"").append(marker).append('-').append(i)
                    .append("\",\"userId\":\"sensor-13\",\"event\":\"Tilted\"}");
        }
        double before = DeviceMetrics.rejected(SOURCE, "too-large");
        try (TopicTail deadLetters = new TopicTail(TopicTail.DEAD_LETTER); DeviceClient device = DeviceClient.device(mqtt.port())) {
            device.publish(TOPIC, batch.append("]}").toString());
            List<ConsumerRecord<String, byte[]>> parked = deadLetters.readUntil(
                    records -> records.stream().anyMatch(r -> value(r).contains(marker)), WAIT).stream()
                    .filter(r -> value(r).contains(marker)).toList();
            assertEquals(1, parked.size(), "the message is parked whole, as received");
            assertEquals("context", header(parked.get(0), "tidemark-field"));
        }
        assertEquals(before + events, DeviceMetrics.rejected(SOURCE, "too-large"), "each of its events refused once");
    }

    @Test
    void unreadablePayloadIsParkedAsReceivedAndTheNextMessageIsStillStored() {
        String marker = "not-json-" + UUID.randomUUID();
        String messageId = "mqtt-" + UUID.randomUUID();
        try (TopicTail raw = new TopicTail(TopicTail.RAW); TopicTail deadLetters = new TopicTail(TopicTail.DEAD_LETTER);
                DeviceClient device = DeviceClient.device(mqtt.port())) {
            device.publish(TOPIC, "{" + marker);
            device.publish(TOPIC, "{\"messageId\":\"" + messageId + "\",\"userId\":\"sensor-9\",\"event\":\"Heartbeat\"}");

            assertEquals(1, raw.withKey(SOURCE + ":" + messageId, 1, WAIT).size());
            List<ConsumerRecord<String, byte[]>> parked = deadLetters.readUntil(
                    records -> records.stream().anyMatch(r -> value(r).contains(marker)), WAIT).stream()
                    .filter(r -> value(r).contains(marker)).toList();
            assertEquals(1, parked.size());
            assertEquals("{" + marker, value(parked.get(0)));
            assertEquals(SOURCE, header(parked.get(0), "tidemark-source"));
            assertEquals("body", header(parked.get(0), "tidemark-field"));
        }
    }

    @Test
    void messageWithAnUnknownWriteKeyIsDroppedAndCounted() {
        double before = DeviceMetrics.value("unknown", "unauthorized");
        String messageId = "mqtt-" + UUID.randomUUID();
        try (DeviceClient device = DeviceClient.device(mqtt.port())) {
            device.publish("tidemark/no-such-key/events",
                    "{\"messageId\":\"" + messageId + "\",\"userId\":\"intruder\",\"event\":\"Spoofed\"}");
            DeviceMetrics.awaitAbove("unknown", "unauthorized", before, WAIT);
        }
    }

    @Test
    void aMessageFarOverTheRequestLimitIsAcknowledgedAndDroppedAndTheNextIsStored() {
        // 600,000 bytes: over the 512,000 a request may hold, and over the 577,536 the client's decoder once took,
        // when it closed the connection unacknowledged and the broker sent the message first on every reconnect.
        String big = "mqtt-big-" + UUID.randomUUID();
        String next = "mqtt-next-" + UUID.randomUUID();
        String head = "{\"messageId\":\"" + big + "\",\"userId\":\"sensor-14\",\"event\":\"Dump\",\"properties\":{\"blob\":\"";
        String payload = head + "b".repeat(600_000 - head.length() - 3) + "\"}}";
        double before = DeviceMetrics.value(SOURCE, "too-large");
        try (TopicTail raw = new TopicTail(TopicTail.RAW); DeviceClient device = DeviceClient.device(mqtt.port())) {
            device.publish(TOPIC, payload);
            device.publish(TOPIC, "{\"messageId\":\"" + next + "\",\"userId\":\"sensor-14\",\"event\":\"After\"}");

            assertEquals(1, raw.withKey(SOURCE + ":" + next, 1, WAIT).size(), "the message after it is read and stored");
            assertEquals(before + 1, DeviceMetrics.value(SOURCE, "too-large"), "the big one counted once, as too large");
            assertEquals(0, raw.withKey(SOURCE + ":" + big, 0, Duration.ofSeconds(1)).size());
            assertNotSentAgainAfterAReconnect(raw, device, before + 1);
        } finally {
            subscriber.start();
        }
    }

    @Test
    void aMessageOverTheLargestReadIsSkippedAcknowledgedAndTheOthersAreStoredOnOneConnection() {
        // Mosquitto takes messages up to 256 MiB unless told otherwise; ingest reads at most max-message-bytes.
        // Before, one such message closed the connection, and the broker sent it first on every reconnect:
        // no device's message was read again until an operator removed it.
        String huge = "mqtt-huge-" + UUID.randomUUID();
        String before = "mqtt-before-" + UUID.randomUUID();
        String after = "mqtt-after-" + UUID.randomUUID();
        String head = "{\"messageId\":\"" + huge + "\",\"userId\":\"sensor-15\",\"event\":\"Firmware\",\"properties\":{\"image\":\"";
        String payload = head + "f".repeat(mqtt.maxMessageBytes() + 4096 - head.length() - 3) + "\"}}";
        double tooLarge = DeviceMetrics.value(SOURCE, "too-large");
        double lost = DeviceMetrics.connectionsLost();
        try (TopicTail raw = new TopicTail(TopicTail.RAW); DeviceClient device = DeviceClient.device(mqtt.port());
                DeviceClient other = DeviceClient.device(mqtt.port())) {
            device.publish(TOPIC, "{\"messageId\":\"" + before + "\",\"userId\":\"sensor-15\",\"event\":\"Before\"}");
            device.publish(TOPIC, payload);
            other.publish(TOPIC, "{\"messageId\":\"" + after + "\",\"userId\":\"sensor-16\",\"event\":\"After\"}");

            assertEquals(1, raw.withKey(SOURCE + ":" + before, 1, WAIT).size());
            assertEquals(1, raw.withKey(SOURCE + ":" + after, 1, WAIT).size(), "another device's message after it is stored");
            assertEquals(tooLarge + 1, DeviceMetrics.value(SOURCE, "too-large"), "the huge one counted once, as too large");
            assertEquals(lost, DeviceMetrics.connectionsLost(), 0.0, "read past without closing the connection");
            assertEquals(0, raw.withKey(SOURCE + ":" + huge, 0, Duration.ofSeconds(1)).size());
            assertNotSentAgainAfterAReconnect(raw, device, tooLarge + 1);
        } finally {
            subscriber.start();
        }
    }

    @Test
    void anIdleConnectionIsKeptOpenByPings() {
        double lost = DeviceMetrics.connectionsLost();
        // Keep-alive is 1 s in these tests. Without pings, Mosquitto 2.0.11 closed the connection within 5-6 s
        // (it checks keep-alives coarsely); so 8 s.
        org.awaitility.Awaitility.await("the connection held while idle").during(Duration.ofSeconds(8))
                .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250))
                .until(() -> subscriber.subscribed() && DeviceMetrics.connectionsLost() == lost);
    }

    @Test
    void aBrokerThatStopsAnsweringIsLeftAndFoundAgainOnceItAnswers() {
        double lost = DeviceMetrics.connectionsLost();
        broker.pause();
        try {
            // Its socket stays open: only an unanswered ping shows that the broker is gone.
            org.awaitility.Awaitility.await("the silent connection closed").atMost(WAIT).pollInterval(Duration.ofMillis(250))
                    .until(() -> DeviceMetrics.connectionsLost() > lost && !subscriber.subscribed());
        } finally {
            broker.resume();
        }
        awaitSubscribed(subscriber);
        String messageId = "mqtt-resumed-" + UUID.randomUUID();
        try (TopicTail raw = new TopicTail(TopicTail.RAW); DeviceClient device = DeviceClient.device(mqtt.port())) {
            device.publish(TOPIC, "{\"messageId\":\"" + messageId + "\",\"userId\":\"sensor-17\",\"event\":\"Resumed\"}");
            assertEquals(1, raw.withKey(SOURCE + ":" + messageId, 1, WAIT).size());
        }
    }

    @Test
    void eventPublishedWhileIngestIsDisconnectedIsStoredOnceItReconnects() {
        String messageId = "mqtt-" + UUID.randomUUID();
        try (TopicTail raw = new TopicTail(TopicTail.RAW); DeviceClient device = DeviceClient.device(mqtt.port())) {
            subscriber.stop().await().atMost(WAIT);
            // The broker holds it for ingest's persistent session; a clean session would have lost it.
            device.publish(TOPIC, "{\"messageId\":\"" + messageId + "\",\"userId\":\"sensor-10\",\"event\":\"Offline Reading\"}");
            subscriber.start();

            List<ConsumerRecord<String, byte[]>> mine = raw.withKey(SOURCE + ":" + messageId, 1, WAIT);
            assertEquals(1, mine.size());
            assertEquals("Offline Reading", EventCodec.decode(mine.get(0).value()).event());
        } finally {
            subscriber.start();
        }
    }

    @Test
    void aBacklogSentAtOnceOnReconnectIsReadOnOneConnection() {
        String prefix = "mqtt-backlog-" + UUID.randomUUID() + "-";
        int backlog = 200;
        try (TopicTail raw = new TopicTail(TopicTail.RAW); DeviceClient device = DeviceClient.device(mqtt.port())) {
            subscriber.stop().await().atMost(WAIT);
            for (int i = 0; i < backlog; i++) {
                device.publish(TOPIC, "{\"messageId\":\"" + prefix + i + "\",\"userId\":\"sensor-30\",\"event\":\"Backlog\"}");
            }
            double lostBefore = DeviceMetrics.connectionsLost();
            subscriber.start();
            // The broker writes its in-flight window at once, so frames arrive split over reads. Netty 4.1.133's
            // decoder refused such a frame as too long (16 MiB): the connection closed on every reconnect.
            Function<List<ConsumerRecord<String, byte[]>>, Long> distinctStored = records -> records.stream()
                    .map(ConsumerRecord::key).filter(key -> key != null && key.startsWith(SOURCE + ":" + prefix))
                    .distinct().count();
            assertEquals(backlog, distinctStored.apply(raw.readUntil(records -> distinctStored.apply(records) >= backlog, WAIT)));
            assertEquals(lostBefore, DeviceMetrics.connectionsLost(), 0.0, "the connection held through the backlog");
        } finally {
            subscriber.start();
        }
    }

    @Test
    void messageOverTheSourcesRateLimitIsHeldBackAndStoredLater() {
        // ingest-limited: 0.5 events/s, burst 3. Five events put the bucket six seconds into debt.
        String topic = "tidemark/ingest-limited-key/events";
        String prefix = "mqtt-limited-" + UUID.randomUUID() + "-";
        StringBuilder batch = new StringBuilder("{\"batch\":[");
        for (int i = 0; i < 5; i++) {
            batch.append(i == 0 ? "" : ",").append("{\"type\":\"track\",\"messageId\":\"").append(prefix).append(i)
                    .append("\",\"userId\":\"sensor-13\",\"event\":\"Burst\"}");
        }
        batch.append("]}");
        String held = "mqtt-held-" + UUID.randomUUID();
        double retriedBefore = DeviceMetrics.value("ingest-limited", "retry");
        try (TopicTail raw = new TopicTail(TopicTail.RAW); DeviceClient device = DeviceClient.device(mqtt.port())) {
            device.publish(topic, batch.toString());
            assertEquals(1, raw.withKey("ingest-limited:" + prefix + "4", 1, WAIT).size());
            device.publish(topic, "{\"messageId\":\"" + held + "\",\"userId\":\"sensor-13\",\"event\":\"Held\"}");

            assertEquals(1, raw.withKey("ingest-limited:" + held, 1, WAIT).size());
            assertTrue(DeviceMetrics.value("ingest-limited", "retry") > retriedBefore,
                    "the second message was held back by the rate limit before it was stored");
        }
    }

    @Test
    void wellnessShowsTheSubscriptionAndReadinessStaysAboutKafka() {
        given().when().get(ManagementPort.url("health/well"))
                .then().statusCode(200)
                .body("checks.find { it.name == 'mqtt-devices' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'mqtt-devices' }.data.enabled", equalTo(true));
        given().when().get(ManagementPort.url("health/ready"))
                .then().statusCode(200)
                .body("checks.find { it.name == 'mqtt-devices' }", nullValue());
    }

    /**
     * A message counted too large was acknowledged: after a reconnect the broker has nothing of it to send
     * again, so a message published next is stored and the count stays.
     */
    private void assertNotSentAgainAfterAReconnect(TopicTail raw, DeviceClient device, double tooLarge) {
        subscriber.stop().await().atMost(WAIT);
        subscriber.start();
        awaitSubscribed(subscriber);
        String last = "mqtt-last-" + UUID.randomUUID();
        device.publish(TOPIC, "{\"messageId\":\"" + last + "\",\"userId\":\"sensor-14\",\"event\":\"Last\"}");
        assertEquals(1, raw.withKey(SOURCE + ":" + last, 1, WAIT).size());
        assertEquals(tooLarge, DeviceMetrics.value(SOURCE, "too-large"), "not delivered again");
    }

    static void awaitSubscribed(MqttDeviceSubscriber subscriber) {
        org.awaitility.Awaitility.await("ingest subscribed to the broker").atMost(WAIT).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(100)).until(subscriber::subscribed);
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static String value(ConsumerRecord<String, byte[]> record) {
        return record.value() == null ? "" : new String(record.value(), StandardCharsets.UTF_8);
    }
}
