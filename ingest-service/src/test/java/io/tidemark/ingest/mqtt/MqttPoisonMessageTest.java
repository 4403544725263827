package io.tidemark.ingest.mqtt;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.tidemark.ingest.TopicTail;
import io.tidemark.ingest.config.MqttConfig;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A message that fails with an unexpected error on every try (a bug, not Kafka) is parked on the
 * dead-letter topic and acknowledged after a bounded number of tries, instead of being tried for ever
 * while it holds a slot of the broker's in-flight window.
 */
@QuarkusTest
@TestProfile(MqttPoisonMessageTest.WithBrokerAndBug.class)
class MqttPoisonMessageTest {

    /** MQTT against a private Mosquitto, with a parser that fails on one event name. */
    public static class WithBrokerAndBug implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(MosquittoResource.class));
        }

        @Override
        public Set<Class<?>> getEnabledAlternatives() {
            return Set.of(BrokenParser.class);
        }
    }

    private static final String SOURCE = "ingest-test";
    private static final String TOPIC = "tidemark/ingest-test-key/events";
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    MqttDeviceSubscriber subscriber;

    @Inject
    MqttConfig mqtt;

    @Test
    void aMessageThatAlwaysFailsIsParkedAndAcknowledgedAfterItsAttempts() {
        MqttDeviceIngestTest.awaitSubscribed(subscriber);
        String marker = "poison-" + UUID.randomUUID();
        String after = "mqtt-after-" + UUID.randomUUID();
        double refusedBefore = DeviceMetrics.value(SOURCE, "refused");
        try (TopicTail raw = new TopicTail(TopicTail.RAW); TopicTail deadLetters = new TopicTail(TopicTail.DEAD_LETTER);
                DeviceClient device = DeviceClient.device(mqtt.port())) {
            device.publish(TOPIC, "{\"messageId\":\"" + marker + "\",\"userId\":\"sensor-66\",\"event\":\""
                    + BrokenParser.POISON + "\"}");
            List<ConsumerRecord<String, byte[]>> parked = poisonCopies(deadLetters.readUntil(
                    records -> !poisonCopies(records, marker).isEmpty(), WAIT), marker);
            assertEquals(1, parked.size(), "parked on the dead-letter topic after its attempts");
            assertEquals(SOURCE, header(parked.get(0), "tidemark-source"));
            assertTrue(header(parked.get(0), "tidemark-reason").contains("a bug this message always hits"),
                    header(parked.get(0), "tidemark-reason"));

            // Counted just before the acknowledgement is queued on the connection, ahead of the disconnect below.
            DeviceMetrics.awaitAbove(SOURCE, "refused", refusedBefore, WAIT);
            // Acknowledged: after a reconnect the broker has nothing of it to send again, so it is not parked twice.
            subscriber.stop().await().atMost(WAIT);
            subscriber.start();
            MqttDeviceIngestTest.awaitSubscribed(subscriber);
            device.publish(TOPIC, "{\"messageId\":\"" + after + "\",\"userId\":\"sensor-66\",\"event\":\"Healthy\"}");
            assertEquals(1, raw.withKey(SOURCE + ":" + after, 1, WAIT).size());
            // Long enough for a redelivered copy to use up its attempts (1 s apart in the test profile).
            assertEquals(1, poisonCopies(deadLetters.readUntil(records -> false, Duration.ofSeconds(8)), marker).size(),
                    "no second copy: the broker did not deliver the message again");
        } finally {
            subscriber.start();
        }
    }

    private static List<ConsumerRecord<String, byte[]>> poisonCopies(List<ConsumerRecord<String, byte[]>> records,
            String marker) {
        return records.stream().filter(r -> r.value() != null
                && new String(r.value(), StandardCharsets.UTF_8).contains(marker)).toList();
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
