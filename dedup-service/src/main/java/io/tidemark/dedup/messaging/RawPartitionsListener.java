package io.tidemark.dedup.messaging;

import io.quarkus.arc.Unremovable;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import io.tidemark.dedup.config.DedupConfig;
import io.tidemark.dedup.service.ClaimLayouts;
import io.tidemark.dedup.service.IndexLayouts;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Told by the connector of the raw partitions each consumer is given and loses. A copy of a message
 * reaches another host only through such a move, and the two hosts must not decide about it apart:
 * <ul>
 * <li>The host that had the partition may have claimed the first copy under a claim or index layout it
 * recorded less than {@code layout-refresh} ago. Read from a cache older than that, the lookup would
 * miss the claim in its grown bucket and store the message twice; so every layout read before an
 * assignment is read again before its next use.</li>
 * <li>The host losing the partition stops claiming its records before the rebalance goes on: it drops
 * those not yet in a batch and waits for the batch claiming, so the next owner's lookups find every
 * claim it makes. Otherwise both claimed the same records at once, and under index layouts that
 * differed between them stored a message in two buckets.</li>
 * </ul>
 */
@ApplicationScoped
@Unremovable // the connector looks it up by name; no bean injects it
@Identifier(RawPartitionsListener.NAME)
public class RawPartitionsListener implements KafkaConsumerRebalanceListener {

    /** The name {@code mp.messaging.incoming.events-raw.consumer-rebalance-listener.name} gives. */
    public static final String NAME = "tidemark-raw-partitions";

    private static final Logger LOG = Logger.getLogger(RawPartitionsListener.class);

    private final ClaimLayouts claimLayouts;
    private final IndexLayouts indexLayouts;
    private final RawEventConsumer raw;
    private final Duration revokeWait;
    private final AtomicLong assignments = new AtomicLong();

    public RawPartitionsListener(ClaimLayouts claimLayouts, IndexLayouts indexLayouts, RawEventConsumer raw,
            DedupConfig config) {
        this.claimLayouts = claimLayouts;
        this.indexLayouts = indexLayouts;
        this.raw = raw;
        this.revokeWait = config.pipeline().revokeWait();
    }

    /** On the consumer's polling thread, before the poll returns any record of {@code partitions}. */
    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        claimLayouts.readAgain();
        indexLayouts.readAgain();
        raw.assign(partitions);
        assignments.incrementAndGet();
        LOG.debugf("raw partitions %s assigned: claim and index layouts are read again before their next use", partitions);
    }

    /**
     * On the consumer's polling thread, after the connector committed what was acknowledged of
     * {@code partitions} and before the consumer rejoins the group: no other host gets them before this
     * returns. Also called for partitions lost (the connector's default): dropping what is pending is as
     * right there, and the wait, for partitions that may already be elsewhere, merely in vain.
     */
    @Override
    public void onPartitionsRevoked(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        try {
            raw.revoke(partitions).get(revokeWait.toMillis(), TimeUnit.MILLISECONDS);
            LOG.debugf("raw partitions %s revoked: records not yet in a batch left to the next owner", partitions);
        } catch (TimeoutException e) {
            LOG.warnf("raw partitions %s revoked while a batch's claims were still being written after %s: the"
                    + " next owner may claim the same records at the same time", partitions, revokeWait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // A claim never fails (it retries); the batch's failure is logged where it happens.
        }
    }

    /** How many non-empty assignments this host's consumers were told of. */
    public long assignments() {
        return assignments.get();
    }
}
