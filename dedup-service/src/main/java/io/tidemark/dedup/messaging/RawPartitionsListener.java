package io.tidemark.dedup.messaging;

import io.quarkus.arc.Unremovable;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import io.tidemark.dedup.service.ClaimLayouts;
import io.tidemark.dedup.service.IndexLayouts;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import java.util.Collection;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Told by the connector of the raw partitions each consumer is given. A copy of a message reaches
 * another host only through such an assignment, and the host that had the partition may have claimed
 * the first copy under a claim or index layout it recorded less than {@code layout-refresh} ago. Read
 * from a cache older than that, the lookup would miss the claim in its grown bucket and store the
 * message twice; so every layout read before the assignment is read again before its next use.
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
    private final AtomicLong assignments = new AtomicLong();

    public RawPartitionsListener(ClaimLayouts claimLayouts, IndexLayouts indexLayouts) {
        this.claimLayouts = claimLayouts;
        this.indexLayouts = indexLayouts;
    }

    /** On the consumer's polling thread, before the poll returns any record of {@code partitions}. */
    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        claimLayouts.readAgain();
        indexLayouts.readAgain();
        assignments.incrementAndGet();
        LOG.debugf("raw partitions %s assigned: claim and index layouts are read again before their next use", partitions);
    }

    /** How many non-empty assignments this host's consumers were told of. */
    public long assignments() {
        return assignments.get();
    }
}
