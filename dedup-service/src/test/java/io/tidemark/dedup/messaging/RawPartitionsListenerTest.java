package io.tidemark.dedup.messaging;

import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.IncomingKafkaRecord;
import io.smallrye.reactive.messaging.kafka.commit.KafkaCommitHandler;
import io.tidemark.dedup.repository.MessageLedger;
import io.tidemark.dedup.service.Delivery;
import io.tidemark.dedup.service.EventDeduplicator;
import io.tidemark.dedup.service.StoreOutcome;
import io.tidemark.dedup.service.TestEvents;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A copy of a message reaches this host with its raw partition, less than {@code claims.layout-refresh}
 * (10 s) after the partition's previous owner grew the source's claim layout and claimed the first copy
 * in a grown bucket; and a partition leaves this host while records of it wait for a batch. Against the
 * real Cassandra, and the real connector, which must call the listener.
 */
@QuarkusTest
class RawPartitionsListenerTest {

    private static final int PARTITION = 4;

    @Inject
    EventDeduplicator deduplicator;

    @Inject
    QuarkusCqlSession session;

    @Inject
    RawEventConsumer raw;

    @Inject
    @Identifier(RawPartitionsListener.NAME)
    RawPartitionsListener listener;

    private final String source = "assigned-" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void theConnectorTellsTheListenerOfTheRawPartitionsItAssigns() {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (listener.assignments() == 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertTrue(listener.assignments() > 0, "the consumer-rebalance-listener name reaches the connector");
    }

    @Test
    void aCopyArrivingWithItsPartitionFindsTheClaimInABucketGrownSinceThisHostLastReadTheLayouts() {
        Instant time = Instant.now().minus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.MILLIS);
        // This host knows the source under its original 60 claim buckets.
        CollectedEvent known = TestEvents.click(source, UUID.randomUUID().toString(), time);
        assertEquals(List.of(StoreOutcome.STORED),
                TestEvents.outcomes(deduplicator, List.of(new Delivery(known, EventCodec.encode(known), PARTITION, 1))));

        // The partition's previous owner grew the source to 120 buckets and claimed a message in one past 59.
        String messageId;
        do {
            messageId = UUID.randomUUID().toString();
        } while (MessageLedger.bucket(source, messageId, 120) < MessageLedger.BUCKETS);
        session.execute(SimpleStatement.newInstance("INSERT INTO tidemark.claim_layouts (source, version, buckets, "
                + "decided_at, reason) VALUES (?, 1, 120, ?, 'grown by the previous owner')", source, Instant.now()));
        session.execute(SimpleStatement.newInstance("INSERT INTO tidemark.message_claims (source, bucket, message_id, "
                + "event_time, first_seen, owner_partition, owner_offset, index_bucket) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                source, MessageLedger.bucket(source, messageId, 120), messageId, time, Instant.now(), PARTITION, 10L,
                (short) 0));

        // The partition comes to this host, and with it a later copy of that message.
        listener.onPartitionsAssigned(null, List.of(new TopicPartition("tidemark.events.raw", PARTITION)));
        CollectedEvent copy = TestEvents.click(source, messageId, time.plusSeconds(5));
        assertEquals(List.of(StoreOutcome.DUPLICATE),
                TestEvents.outcomes(deduplicator, List.of(new Delivery(copy, EventCodec.encode(copy), PARTITION, 20))),
                "the copy is found claimed, not stored a second time");
    }

    @Test
    void aRevokedPartitionsRecordsNotYetInABatchAreLeftToItsNextOwner() throws Exception {
        // A partition number the connector never delivers, so only this test feeds its pipeline.
        TopicPartition partition = new TopicPartition("tidemark.events.raw", 97);
        Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
        Instant time = Instant.now().minus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.MILLIS);

        raw.consume(delivered(partition, 0, TestEvents.click(source, UUID.randomUUID().toString(), time), acknowledged))
                .await().atMost(Duration.ofSeconds(10));
        awaitAcknowledged(acknowledged, 0);
        assertEquals(Map.of(partition, new OffsetAndMetadata(1)), raw.takenOffsets(Set.of(partition)));

        listener.onPartitionsRevoked(null, List.of(partition));
        assertEquals(Map.of(), raw.takenOffsets(Set.of(partition)), "a stop commits nothing of a partition it lost");
        CollectedEvent late = TestEvents.click(source, UUID.randomUUID().toString(), time);
        raw.consume(delivered(partition, 1, late, acknowledged)).await().atMost(Duration.ofSeconds(10));
        // Three lingers and more: long enough for the record to be claimed and stored, had it been taken.
        Thread.sleep(1_500);
        assertEquals(Set.of(0L), acknowledged, "the record handed over after the revoke is neither stored nor acknowledged");
        assertEquals(0, session.execute(SimpleStatement.newInstance("SELECT message_id FROM tidemark.message_claims"
                + " WHERE source = ? AND bucket = ? AND message_id = ?", source,
                MessageLedger.bucket(source, late.messageId(), MessageLedger.BUCKETS), late.messageId()))
                .all().size(), "nor claimed");

        // The partition comes back to this host, which reads it again from the committed offset.
        listener.onPartitionsAssigned(null, List.of(partition));
        raw.consume(delivered(partition, 1, late, acknowledged)).await().atMost(Duration.ofSeconds(10));
        awaitAcknowledged(acknowledged, 1);
        assertEquals(Map.of(partition, new OffsetAndMetadata(2)), raw.takenOffsets(Set.of(partition)));
    }

    /** A record as the connector hands it over, whose acknowledgement is noted in {@code acknowledged}. */
    private static IncomingKafkaRecord<String, byte[]> delivered(TopicPartition partition, long offset,
            CollectedEvent event, Set<Long> acknowledged) {
        ConsumerRecord<String, byte[]> record = new ConsumerRecord<>(partition.topic(), partition.partition(), offset,
                System.currentTimeMillis(), TimestampType.CREATE_TIME, -1, -1, event.source() + ":" + event.messageId(),
                EventCodec.encode(event), new RecordHeaders(), Optional.empty());
        KafkaCommitHandler commits = new KafkaCommitHandler() {
            @Override
            public <K, V> Uni<Void> handle(IncomingKafkaRecord<K, V> acked) {
                acknowledged.add(acked.getOffset());
                return Uni.createFrom().voidItem();
            }
        };
        return new IncomingKafkaRecord<>(record, RawEventConsumer.CHANNEL, 0, commits, null, false, false);
    }

    private static void awaitAcknowledged(Set<Long> acknowledged, long offset) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!acknowledged.contains(offset) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(acknowledged.contains(offset), "record " + offset + " stored and acknowledged");
    }
}
