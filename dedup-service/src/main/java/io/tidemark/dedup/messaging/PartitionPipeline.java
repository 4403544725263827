package io.tidemark.dedup.messaging;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.tidemark.dedup.config.DedupConfig;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The records of one raw partition, cut into batches and run through two stages so that the next
 * batch's claims overlap the previous batch's writes.
 *
 * <p>A batch is cut when the claim stage is free: everything buffered, up to a maximum, once the
 * oldest buffered record waited {@code linger} or a full batch is there. So batches grow by themselves
 * under load (fewer Cassandra requests per event), and a record trickling in waits at most about
 * {@code linger} for company. Claims run one batch at a time, in offset order, which is what makes
 * a plain read-then-write claim safe (see {@code EventDeduplicator}); stores overlap, at most
 * {@code depth} batches in flight. Every
 * record is acknowledged only when its batch is stored; the throttled commit strategy commits a
 * partition's offsets only up to its oldest unacknowledged record, so offsets stay in order even
 * though batches finish out of order. Memory is bounded by bytes as well as by records: once
 * {@code max-pending} records or {@code max-pending-bytes} of payload wait, the connector is held back
 * (and, its own queue full, pauses the Kafka consumer), and a batch holds at most {@code max-batch-size}
 * records and {@code max-batch-bytes} of payload (but always one record), so at most
 * {@code depth x max-batch-bytes} are in flight. Counts alone let events near ingest's 32 KB limit fill
 * the heap: 2,000 records in flight and waiting per partition are 66 MB of payload before decoding.
 *
 * <p>Without the linger, batches at moderate rates held a few records each and, grouped by Cassandra
 * partition, cost about a Cassandra request per record.
 *
 * <p>When the partition is revoked, what is pending is dropped unclaimed, never acknowledged: its next
 * owner reads it again from the committed offset, and two hosts never claim the same records at once
 * unless a claim was already under way (which {@link #revoke} lets the caller wait for).
 */
final class PartitionPipeline<T> {

    private static final Logger LOG = Logger.getLogger(PartitionPipeline.class);

    /** The two stages of a batch; neither is expected to fail (each step retries until it succeeds). */
    interface Stages<T> {
        Uni<T> claim(List<KafkaRecord<String, byte[]>> batch);

        Uni<Void> store(T claimed);
    }

    private final Stages<T> stages;
    private final int depth;
    private final int maxBatchSize;
    private final int maxPending;
    private final long maxBatchBytes;
    private final long maxPendingBytes;
    private final long lingerNanos;
    /** The connector's context for this partition; the burst of one poll lands before a batch is cut. */
    private final Context context;

    private final ArrayDeque<KafkaRecord<String, byte[]>> pending = new ArrayDeque<>();
    /** Payload bytes of {@code pending}. */
    private long pendingBytes;
    private final List<CompletableFuture<Void>> waitingForRoom = new ArrayList<>();
    private boolean claiming;
    /** Completes when the batch claiming now has its claims written; set while {@code claiming}. */
    private CompletableFuture<Void> claimDone = CompletableFuture.completedFuture(null);
    /** False between a revoke and the next assignment: records offered meanwhile are not taken. */
    private boolean open = true;
    /** The offset of the record taken last since the partition was assigned; -1 for none. */
    private long lastTaken = -1;
    private int inFlight;
    private boolean cutScheduled;
    /** When the oldest pending record arrived (System.nanoTime()); meaningful while records are pending. */
    private long oldestPendingAt;
    private boolean lingerTimerSet;

    PartitionPipeline(DedupConfig.Pipeline config, Stages<T> stages) {
        this.stages = stages;
        this.depth = config.depth();
        this.maxBatchSize = config.maxBatchSize();
        this.maxPending = config.maxPending();
        this.maxBatchBytes = config.maxBatchBytes();
        this.maxPendingBytes = config.maxPendingBytes();
        this.lingerNanos = config.linger().toNanos();
        this.context = Vertx.currentContext();
    }

    /**
     * Buffers the record, at {@code offset} in the partition; the Uni completes once there is room for
     * more. Between a {@link #revoke} and the next {@link #assign} the record is not taken: it stays
     * unacknowledged, for the partition's owner to read.
     */
    Uni<Void> offer(KafkaRecord<String, byte[]> record, long offset) {
        CompletableFuture<Void> room = null;
        synchronized (this) {
            if (!open) {
                return Uni.createFrom().voidItem();
            }
            lastTaken = offset;
            if (pending.isEmpty()) {
                oldestPendingAt = System.nanoTime();
            }
            pending.add(record);
            pendingBytes += bytes(record);
            if (!roomForMore()) {
                room = new CompletableFuture<>();
                waitingForRoom.add(room);
            }
        }
        scheduleCut();
        return room == null ? Uni.createFrom().voidItem() : Uni.createFrom().completionStage(room);
    }

    /**
     * Cuts on the connector's context, after the task that delivers the current poll's records: they
     * go into one batch instead of one batch each.
     */
    private void scheduleCut() {
        if (context == null) {
            cut();
            return;
        }
        synchronized (this) {
            if (cutScheduled) {
                return;
            }
            cutScheduled = true;
        }
        context.runOnContext(ignored -> {
            synchronized (this) {
                cutScheduled = false;
            }
            cut();
        });
    }

    private void cut() {
        List<KafkaRecord<String, byte[]>> batch;
        List<CompletableFuture<Void>> released = List.of();
        CompletableFuture<Void> claimsWritten;
        synchronized (this) {
            if (claiming || inFlight >= depth || pending.isEmpty()) {
                return;
            }
            if (pending.size() < maxBatchSize && pendingBytes < maxBatchBytes && context != null) {
                long lingerLeft = lingerNanos - (System.nanoTime() - oldestPendingAt);
                if (lingerLeft > 0) {
                    if (!lingerTimerSet) {
                        lingerTimerSet = true;
                        context.owner().setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(lingerLeft)), id -> {
                            synchronized (this) {
                                lingerTimerSet = false;
                            }
                            scheduleCut();
                        });
                    }
                    return;
                }
            }
            batch = new ArrayList<>(Math.min(maxBatchSize, pending.size()));
            long batchBytes = 0;
            while (batch.size() < maxBatchSize && !pending.isEmpty()
                    && (batch.isEmpty() || batchBytes + bytes(pending.peek()) <= maxBatchBytes)) {
                KafkaRecord<String, byte[]> next = pending.poll();
                batchBytes += bytes(next);
                pendingBytes -= bytes(next);
                batch.add(next);
            }
            claiming = true;
            claimDone = new CompletableFuture<>();
            claimsWritten = claimDone;
            inFlight++;
            if (roomForMore() && !waitingForRoom.isEmpty()) {
                released = new ArrayList<>(waitingForRoom);
                waitingForRoom.clear();
            }
        }
        released.forEach(room -> room.complete(null));
        stages.claim(batch).subscribe().with(claimed -> {
            synchronized (this) {
                claiming = false;
            }
            claimsWritten.complete(null);
            scheduleCut();
            stages.store(claimed).subscribe().with(stored -> {
                batch.forEach(Message::ack);
                synchronized (this) {
                    inFlight--;
                }
                scheduleCut();
            }, failure -> fail(batch, failure));
        }, failure -> {
            // A failed claim writes no more claims: nothing for a revoke to wait for.
            claimsWritten.complete(null);
            fail(batch, failure);
        });
    }

    /**
     * The partition was taken from this consumer: the pending records are dropped, never claimed nor
     * acknowledged, and records offered from now on are not taken, until {@link #assign}. Batches already
     * cut go on. Completes once the batch claiming now, if any, has its claims written: from then on the
     * partition's next owner finds every claim this host will ever make for it.
     */
    CompletableFuture<Void> revoke() {
        List<CompletableFuture<Void>> released;
        CompletableFuture<Void> claimsWritten;
        synchronized (this) {
            open = false;
            lastTaken = -1;
            pending.clear();
            pendingBytes = 0;
            released = new ArrayList<>(waitingForRoom);
            waitingForRoom.clear();
            claimsWritten = claiming ? claimDone : CompletableFuture.completedFuture(null);
        }
        // The connector's stream goes on for the consumer's other partitions.
        released.forEach(room -> room.complete(null));
        return claimsWritten;
    }

    /** The partition is this consumer's again: records offered are taken, from its committed offset on. */
    synchronized void assign() {
        open = true;
    }

    /** The offset of the record taken last since the partition was last assigned, if any. */
    synchronized OptionalLong lastTaken() {
        return lastTaken < 0 ? OptionalLong.empty() : OptionalLong.of(lastTaken);
    }

    /** Whether every record offered has been stored and acknowledged (or failed). */
    synchronized boolean idle() {
        return pending.isEmpty() && inFlight == 0;
    }

    /** Whether the connector may hand over another record; called holding the lock. */
    private boolean roomForMore() {
        return pending.size() < maxPending && pendingBytes < maxPendingBytes;
    }

    private static long bytes(KafkaRecord<String, byte[]> record) {
        byte[] payload = record.getPayload();
        return payload == null ? 0 : payload.length;
    }

    /**
     * Not expected: every step retries. Nacking hands the records to the channel's failure strategy,
     * which stops the channel (readiness DOWN) rather than commit past them.
     */
    private void fail(List<KafkaRecord<String, byte[]>> batch, Throwable failure) {
        LOG.errorf(failure, "batch of %d records failed", batch.size());
        batch.forEach(record -> record.nack(failure));
    }
}
