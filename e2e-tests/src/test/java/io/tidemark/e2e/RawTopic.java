package io.tidemark.e2e;

import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.event.EventType;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A raw topic and a clean topic of one test on a Kafka broker, so dedup-service started for that
 * test sees only that test's records and its consumer group's lag says when it has seen them all.
 */
final class RawTopic implements AutoCloseable {

    private static final int PARTITIONS = 6;

    private final String bootstrap;
    private final String raw;
    private final String clean;
    private final String group;
    private final Admin admin;
    private final KafkaProducer<String, byte[]> producer;

    private RawTopic(String bootstrap, String id) {
        this.bootstrap = bootstrap;
        this.raw = "tidemark.events.raw.it-" + id;
        this.clean = "tidemark.events.clean.it-" + id;
        this.group = "tidemark-dedup-it-" + id;
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
        this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 5),
                new StringSerializer(), new ByteArraySerializer());
    }

    static RawTopic create(String bootstrap) throws Exception {
        RawTopic topic = new RawTopic(bootstrap, UUID.randomUUID().toString().substring(0, 8));
        topic.admin.createTopics(List.of(new NewTopic(topic.raw, PARTITIONS, (short) 1),
                new NewTopic(topic.clean, PARTITIONS, (short) 1))).all().get(30, TimeUnit.SECONDS);
        return topic;
    }

    /** The system property that makes an ingest-service send to this raw topic. */
    String ingestProperty() {
        return "mp.messaging.outgoing.events-raw.topic=" + raw;
    }

    /** System properties pointing a dedup-service at this topic pair with a consumer group of its own. */
    List<String> dedupProperties() {
        return List.of("kafka.bootstrap.servers=" + bootstrap,
                "mp.messaging.incoming.events-raw.topic=" + raw,
                "mp.messaging.incoming.events-raw.group.id=" + group,
                // Commit often, so "all consumed" is seen soon; a crash still redelivers what was not committed.
                "mp.messaging.incoming.events-raw.auto.commit.interval.ms=500",
                // A killed consumer holds its partitions until its session times out: keep that short.
                "mp.messaging.incoming.events-raw.session.timeout.ms=6000",
                "mp.messaging.incoming.events-raw.heartbeat.interval.ms=2000",
                "mp.messaging.outgoing.events-clean.topic=" + clean);
    }

    static CollectedEvent event(String source, String messageId, Instant time) {
        return new CollectedEvent(CollectedEvent.FORMAT_VERSION, source, messageId, EventType.TRACK, "Song Played",
                null, "user-" + Math.floorMod(messageId.hashCode(), 50), null, null, null, null, null, null, null,
                time, time, time, Instant.now(), Set.of());
    }

    /** Sends as ingest does: keyed source:messageId, so every copy lands on the same partition. */
    void send(CollectedEvent event) {
        producer.send(new ProducerRecord<>(raw, event.kafkaKey(), EventCodec.encode(event)));
    }

    void flush() {
        producer.flush();
    }

    /** Whether the dedup consumer group committed every record sent so far. */
    boolean allConsumed() throws Exception {
        flush();
        List<TopicPartition> partitions = partitions();
        Map<TopicPartition, OffsetSpec> latest = partitions.stream()
                .collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest()));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all()
                .get(30, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetAndMetadata> committed = committed();
        for (TopicPartition partition : partitions) {
            long end = ends.get(partition).offset();
            OffsetAndMetadata done = committed.get(partition);
            if (end > 0 && (done == null || done.offset() < end)) {
                return false;
            }
        }
        return true;
    }

    /** How many records the dedup consumer group committed, over every partition (each starts at offset 0). */
    long committedRecords() throws Exception {
        return committed().values().stream().filter(Objects::nonNull).mapToLong(OffsetAndMetadata::offset).sum();
    }

    private Map<TopicPartition, OffsetAndMetadata> committed() throws Exception {
        return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
    }

    private List<TopicPartition> partitions() {
        List<TopicPartition> partitions = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            partitions.add(new TopicPartition(raw, p));
        }
        return partitions;
    }

    /** How often each messageId was published on the clean topic, reading it from the start. */
    Map<String, Integer> cleanCounts() {
        return counts(clean);
    }

    /** How often each messageId is on the raw topic, reading it from the start. */
    Map<String, Integer> rawCounts() {
        return counts(raw);
    }

    private Map<String, Integer> counts(String topic) {
        Map<String, Integer> counts = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p)) && Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    counts.merge(EventCodec.decode(record.value()).messageId(), 1, Integer::sum);
                }
            }
        }
        return counts;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
        try {
            admin.deleteTopics(List.of(raw, clean)).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            // A leftover test topic is harmless; the test's own outcome matters more.
        }
        admin.close(Duration.ofSeconds(10));
    }
}
