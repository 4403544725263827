package io.tidemark.dedup.messaging;

import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.common.annotation.Identifier;
import io.tidemark.dedup.repository.MessageLedger;
import io.tidemark.dedup.service.Delivery;
import io.tidemark.dedup.service.EventDeduplicator;
import io.tidemark.dedup.service.StoreOutcome;
import io.tidemark.dedup.service.TestEvents;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import jakarta.inject.Inject;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A copy of a message reaches this host with its raw partition, less than {@code claims.layout-refresh}
 * (10 s) after the partition's previous owner grew the source's claim layout and claimed the first copy
 * in a grown bucket. Against the real Cassandra, and the real connector, which must call the listener.
 */
@QuarkusTest
class RawPartitionsListenerTest {

    private static final int PARTITION = 4;

    @Inject
    EventDeduplicator deduplicator;

    @Inject
    QuarkusCqlSession session;

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
}
