package io.tidemark.dedup.messaging;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.tidemark.dedup.config.DedupConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pipeline's bounds in bytes, with records near ingest's 32 KB limit. Outside a Vert.x context a
 * batch is cut at once on each offer, without lingering, so a held claim stage decides what waits.
 */
class PartitionPipelineTest {

    private static final int LARGE = 30 * 1024;

    private long offset;

    /** Claims and stores that finish only when the test says so. */
    private static final class HeldStages implements PartitionPipeline.Stages<List<KafkaRecord<String, byte[]>>> {
        final List<List<KafkaRecord<String, byte[]>>> claimed = new ArrayList<>();
        final List<CompletableFuture<List<KafkaRecord<String, byte[]>>>> claims = new ArrayList<>();
        final List<CompletableFuture<Void>> stores = new ArrayList<>();

        @Override
        public Uni<List<KafkaRecord<String, byte[]>>> claim(List<KafkaRecord<String, byte[]>> batch) {
            claimed.add(batch);
            CompletableFuture<List<KafkaRecord<String, byte[]>>> claim = new CompletableFuture<>();
            claims.add(claim);
            return Uni.createFrom().completionStage(claim);
        }

        @Override
        public Uni<Void> store(List<KafkaRecord<String, byte[]>> batch) {
            CompletableFuture<Void> store = new CompletableFuture<>();
            stores.add(store);
            return Uni.createFrom().completionStage(store);
        }

        void finishClaim(int batch) {
            claims.get(batch).complete(claimed.get(batch));
        }

        void finishStore(int batch) {
            stores.get(batch).complete(null);
        }

        List<Integer> batchSizes() {
            return claimed.stream().map(List::size).toList();
        }
    }

    private static DedupConfig.Pipeline config(int depth, int maxBatchSize, int maxPending, long maxBatchBytes,
            long maxPendingBytes) {
        return new DedupConfig.Pipeline() {
            @Override
            public int depth() {
                return depth;
            }

            @Override
            public int maxBatchSize() {
                return maxBatchSize;
            }

            @Override
            public int maxPending() {
                return maxPending;
            }

            @Override
            public long maxBatchBytes() {
                return maxBatchBytes;
            }

            @Override
            public long maxPendingBytes() {
                return maxPendingBytes;
            }

            @Override
            public Duration linger() {
                return Duration.ZERO;
            }

            @Override
            public Duration revokeWait() {
                return Duration.ofSeconds(10);
            }
        };
    }

    private static KafkaRecord<String, byte[]> record(int bytes) {
        return KafkaRecord.of("tidemark.events.raw", "source:m", new byte[bytes]);
    }

    private static boolean roomGiven(Uni<Void> room) {
        return room.subscribeAsCompletionStage().isDone();
    }

    @Test
    void theConnectorIsHeldBackOnceThePendingPayloadReachesItsLimitLongBeforeTheRecordCount() {
        HeldStages stages = new HeldStages();
        PartitionPipeline<List<KafkaRecord<String, byte[]>>> pipeline =
                new PartitionPipeline<>(config(1, 500, 500, 1024 * 1024, 3 * LARGE), stages);

        assertTrue(roomGiven(pipeline.offer(record(LARGE), offset++)), "the first record goes straight into a batch");
        assertTrue(roomGiven(pipeline.offer(record(LARGE), offset++)), "one record pending");
        assertTrue(roomGiven(pipeline.offer(record(LARGE), offset++)), "two records pending");
        Uni<Void> fourth = pipeline.offer(record(LARGE), offset++);
        assertFalse(roomGiven(fourth), "three large records pending reach max-pending-bytes: the connector waits");

        stages.finishClaim(0);
        assertFalse(roomGiven(fourth), "the only batch slot is still storing");
        stages.finishStore(0);
        assertTrue(roomGiven(fourth), "room again once the pending records went into a batch");
        assertEquals(List.of(1, 3), stages.batchSizes());
    }

    @Test
    void batchesAreCutAtMaxBatchBytesSoInFlightBytesAreBoundedByDepth() {
        HeldStages stages = new HeldStages();
        PartitionPipeline<List<KafkaRecord<String, byte[]>>> pipeline =
                new PartitionPipeline<>(config(3, 500, 500, 100 * 1024, 1024 * 1024), stages);

        for (int i = 0; i < 11; i++) {
            assertTrue(roomGiven(pipeline.offer(record(LARGE), offset++)), "pending records stay under both limits");
        }
        stages.finishClaim(0);
        stages.finishClaim(1);
        stages.finishClaim(2);
        assertEquals(List.of(1, 3, 3), stages.batchSizes(),
                "a batch takes records while their payload fits 100 KB; three batches in flight at most");

        stages.finishStore(0);
        stages.finishClaim(3);
        stages.finishStore(1);
        assertEquals(List.of(1, 3, 3, 3, 1), stages.batchSizes(), "the rest waited for free slots");
    }

    @Test
    void aRecordLargerThanMaxBatchBytesStillGoesThroughAsABatchOfItsOwn() {
        HeldStages stages = new HeldStages();
        PartitionPipeline<List<KafkaRecord<String, byte[]>>> pipeline =
                new PartitionPipeline<>(config(3, 500, 500, LARGE / 2, 1024 * 1024), stages);

        pipeline.offer(record(LARGE), offset++);
        pipeline.offer(record(LARGE), offset++);
        pipeline.offer(record(LARGE), offset++);
        stages.finishClaim(0);
        stages.finishClaim(1);

        assertEquals(List.of(1, 1, 1), stages.batchSizes());
    }

    @Test
    void smallRecordsAreStillCutByCountNotByBytes() {
        HeldStages stages = new HeldStages();
        PartitionPipeline<List<KafkaRecord<String, byte[]>>> pipeline =
                new PartitionPipeline<>(config(3, 500, 500, 1024 * 1024, 1024 * 1024), stages);

        for (int i = 0; i < 1 + 499; i++) {
            assertTrue(roomGiven(pipeline.offer(record(1000), offset++)));
        }
        assertFalse(roomGiven(pipeline.offer(record(1000), offset++)), "500 small records pending: the count bound holds them");
        stages.finishClaim(0);

        assertEquals(List.of(1, 500), stages.batchSizes(), "500 records of 1 KB are one batch, well under 1 MiB");
    }

    @Test
    void thePipelineIsIdleOnlyOnceEveryRecordOfferedIsStored() {
        HeldStages stages = new HeldStages();
        PartitionPipeline<List<KafkaRecord<String, byte[]>>> pipeline =
                new PartitionPipeline<>(config(1, 500, 500, 1024 * 1024, 1024 * 1024), stages);
        assertTrue(pipeline.idle(), "nothing offered yet");

        pipeline.offer(record(1000), offset++);
        pipeline.offer(record(1000), offset++);
        assertFalse(pipeline.idle(), "one record claiming, one pending");
        stages.finishClaim(0);
        assertFalse(pipeline.idle(), "the first batch storing, the second record pending (depth 1)");
        stages.finishStore(0);
        assertFalse(pipeline.idle(), "the second batch claiming");
        stages.finishClaim(1);
        assertFalse(pipeline.idle(), "the second batch storing");
        stages.finishStore(1);

        assertTrue(pipeline.idle(), "both batches stored: a stop may commit and close");
    }

    @Test
    void aRevokedPartitionsPendingRecordsAreNeverClaimedAndTheRevokeWaitsForTheBatchClaiming() {
        HeldStages stages = new HeldStages();
        PartitionPipeline<List<KafkaRecord<String, byte[]>>> pipeline =
                new PartitionPipeline<>(config(3, 500, 500, 1024 * 1024, 1024 * 1024), stages);
        for (int i = 0; i < 5; i++) {
            pipeline.offer(record(1000), offset++);
        }
        assertEquals(List.of(1), stages.batchSizes(), "the first record claiming, four pending");

        CompletableFuture<Void> revoked = pipeline.revoke();
        assertFalse(revoked.isDone(), "the batch claiming may still write claims the next owner must find");
        assertEquals(OptionalLong.empty(), pipeline.lastTaken(), "nothing taken that a stop could commit past");
        assertTrue(roomGiven(pipeline.offer(record(1000), offset++)), "a record the connector still hands over");

        stages.finishClaim(0);
        assertTrue(revoked.isDone(), "the claims are written: the rebalance may go on");
        stages.finishStore(0);
        assertEquals(List.of(1), stages.batchSizes(), "the four pending and the late one are left to the next owner");
        assertTrue(pipeline.idle(), "nothing left to drain");

        pipeline.assign();
        pipeline.offer(record(1000), 1);
        assertEquals(List.of(1, 1), stages.batchSizes(), "the partition back: read again from its committed offset");
        assertEquals(OptionalLong.of(1), pipeline.lastTaken());
    }

    @Test
    void aRevokeLetsTheConnectorGoOnAndNeedsNoWaitWithoutABatchClaiming() {
        HeldStages stages = new HeldStages();
        PartitionPipeline<List<KafkaRecord<String, byte[]>>> pipeline =
                new PartitionPipeline<>(config(1, 500, 2, 1024 * 1024, 1024 * 1024), stages);
        pipeline.offer(record(1000), offset++);
        stages.finishClaim(0);
        pipeline.offer(record(1000), offset++);
        Uni<Void> held = pipeline.offer(record(1000), offset++);
        assertFalse(roomGiven(held), "two records pending while the only slot stores: the connector waits");

        CompletableFuture<Void> revoked = pipeline.revoke();
        assertTrue(revoked.isDone(), "the batch in flight is past its claims");
        assertTrue(roomGiven(held), "released, so the consumer's other partitions go on");
        assertFalse(pipeline.idle(), "the batch past its claims is still stored");
        stages.finishStore(0);
        assertTrue(pipeline.idle());
        assertEquals(List.of(1), stages.batchSizes());
    }
}
