package io.tidemark.mart.export;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * This replica's hold on one source's export lease, as far as it can know it. The hold is lost when a
 * renewal finds another owner, and also when no renewal has been confirmed for {@code ttl - renewEvery}:
 * a replica cut off from Cassandra cannot tell whether its lease ran out, and from one renewal period
 * before it could, another replica may be about to take the source. Stopping then, instead of only
 * when a renewal finds another owner, keeps a replica that lost Cassandra from exporting days another
 * replica exports. The day in hand when the hold runs out is finished: with store kind s3 its manifest is
 * not committed over one written under a later lease (the fencing token, {@link DayManifest}); committed
 * before it, or in a local store, it may have been exported by another replica meanwhile, so the day is then
 * counted as changed once more, and the replica that holds the source exports it again (ExportCycle).
 */
final class LeaseHold {

    private final long validNanos;
    private final LongSupplier nanoTime;
    private volatile long confirmedAt;
    private volatile boolean lostToOther;

    /** {@code acquiredAt}: the clock's reading taken before the acquiring request was sent. */
    LeaseHold(Duration ttl, Duration renewEvery, long acquiredAt, LongSupplier nanoTime) {
        this.validNanos = ttl.minus(renewEvery).toNanos();
        this.nanoTime = nanoTime;
        this.confirmedAt = acquiredAt;
    }

    /** A renewal sent at {@code sentAt} (the clock's reading before it was sent) came back: still held, or not. */
    void renewed(long sentAt, boolean held) {
        if (held) {
            confirmedAt = Math.max(confirmedAt, sentAt);
        } else {
            lostToOther = true;
        }
    }

    /** Whether this replica must stop exporting the source. */
    boolean lost() {
        return lostToOther || nanoTime.getAsLong() - confirmedAt >= validNanos;
    }
}
