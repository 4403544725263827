package io.tidemark.ingest.mqtt;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.testsupport.FreePort;
import io.tidemark.testsupport.PrivateKafka;
import io.tidemark.ingest.TopicTail;
import io.tidemark.ingest.config.MqttConfig;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A device publishes while ingest's Kafka is not there; once a Kafka comes up on that address, the
 * message that was kept unacknowledged is stored. The Kafka is a private one started by the test, so
 * the shared stack is never stopped.
 */
@QuarkusTest
@TestProfile(MqttKafkaRecoveryTest.KafkaComesLater.class)
class MqttKafkaRecoveryTest {

    /** MQTT on against a private Mosquitto; Kafka producers aimed at a port where a Kafka starts later. */
    public static class KafkaComesLater implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("kafka.bootstrap.servers", "127.0.0.1:" + FreePort.next());
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(MosquittoResource.class));
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(90);

    @Inject
    MqttDeviceSubscriber subscriber;

    @Inject
    MqttConfig mqtt;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void messagePublishedWhileKafkaIsDownIsStoredOnceKafkaIsBack() {
        MqttDeviceIngestTest.awaitSubscribed(subscriber);
        String messageId = "mqtt-" + UUID.randomUUID();
        double retriedBefore = DeviceMetrics.value(MqttDeviceIngestTest.SOURCE, "retry");
        double storedBefore = DeviceMetrics.value(MqttDeviceIngestTest.SOURCE, "stored");
        try (DeviceClient device = DeviceClient.device(mqtt.port())) {
            device.publish(MqttDeviceIngestTest.TOPIC,
                    "{\"messageId\":\"" + messageId + "\",\"userId\":\"sensor-12\",\"event\":\"Waited For Kafka\"}");
        }
        DeviceMetrics.awaitAbove(MqttDeviceIngestTest.SOURCE, "retry", retriedBefore, WAIT);

        int port = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
        try (PrivateKafka kafka = PrivateKafka.start(port, FreePort.next())) {
            List<ConsumerRecord<String, byte[]>> mine = readFromStart(TopicTail.RAW,
                    MqttDeviceIngestTest.SOURCE + ":" + messageId);
            assertFalse(mine.isEmpty(), "the event reached the Kafka that came back");
            CollectedEvent event = EventCodec.decode(mine.get(0).value());
            assertEquals("Waited For Kafka", event.event());
            assertEquals(MqttDeviceIngestTest.SOURCE, event.source());
            // Acknowledged to the broker only now that Kafka holds it.
            DeviceMetrics.awaitAbove(MqttDeviceIngestTest.SOURCE, "stored", storedBefore, WAIT);
        }
    }

    private List<ConsumerRecord<String, byte[]>> readFromStart(String topic, String key) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            Instant deadline = Instant.now().plus(WAIT);
            List<PartitionInfo> partitions = List.of();
            while (partitions.isEmpty() && Instant.now().isBefore(deadline)) {
                try {
                    partitions = consumer.partitionsFor(topic, Duration.ofSeconds(2));
                } catch (org.apache.kafka.common.errors.TimeoutException notYet) {
                    partitions = List.of();
                }
            }
            List<TopicPartition> assigned = partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(assigned);
            consumer.seekToBeginning(assigned);
            List<ConsumerRecord<String, byte[]>> mine = new ArrayList<>();
            while (mine.isEmpty() && Instant.now().isBefore(deadline)) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (key.equals(r.key())) {
                        mine.add(r);
                    }
                });
            }
            return mine;
        }
    }
}
