package io.tidemark.ingest;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** Reads a real Kafka topic of the local stack from its current end, so a test sees only what came after. */
public final class TopicTail implements AutoCloseable {

    public static final String RAW = "tidemark.events.raw";
    public static final String DEAD_LETTER = "tidemark.events.dead-letter";
    private final org.apache.kafka.clients.consumer.KafkaConsumer<String, byte[]> consumer;
    private final List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();

    public TopicTail(String topic) {
        consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
    }

    /** Every record read since this tail opened, once {@code until} holds or the timeout passed. */
    public List<ConsumerRecord<String, byte[]>> readUntil(Predicate<List<ConsumerRecord<String, byte[]>>> until,
            Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (!until.test(records) && Instant.now().isBefore(deadline)) {
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        }
        return List.copyOf(records);
    }

    /** The records whose key is {@code key}, after waiting until there are {@code count} of them. */
    public List<ConsumerRecord<String, byte[]>> withKey(String key, int count, Duration timeout) {
        return readUntil(all -> all.stream().filter(r -> key.equals(r.key())).count() >= count, timeout).stream()
                .filter(r -> key.equals(r.key())).toList();
    }

    @Override
    public void close() {
        consumer.close();
    }
}
