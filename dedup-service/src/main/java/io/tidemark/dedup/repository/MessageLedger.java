package io.tidemark.dedup.repository;

import com.datastax.oss.driver.api.core.cql.Row;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.tidemark.dedup.config.DedupConfig;
import io.tidemark.event.EventIndexLayout;
import io.tidemark.event.EventKey;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The dedup ledger ({@code tidemark.message_claims}): which (source, messageId) pairs were seen within
 * the window, at which event time first, and which raw-topic delivery owns the stored row.
 *
 * <p>Claims are plain reads and writes, not transactions: why that is enough is the ordering argument
 * in {@code EventDeduplicator}. Claims live in a source's claim buckets ({@code ClaimLayouts}), so the
 * claims of one batch that share a bucket are read with one query and written with one mutation.
 */
@ApplicationScoped
public class MessageLedger {

    /**
     * Claim partitions per source in the original layout, the one of every source without a recorded
     * claim layout. Grown layouts have this times a power of two (see {@code ClaimLayouts}). A multiple
     * of the raw topic's partition count, so each claim partition is fed by exactly one Kafka partition
     * (see {@link #bucket(String, String, int)}).
     */
    public static final int BUCKETS = 60;

    private static final String FIND = "SELECT message_id, event_time, owner_partition, owner_offset, index_bucket "
            + "FROM tidemark.message_claims WHERE source = ? AND bucket = ? AND message_id IN ?";
    private static final String RECORD = "INSERT INTO tidemark.message_claims (source, bucket, message_id, "
            + "event_time, first_seen, owner_partition, owner_offset, index_bucket) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            + "USING TTL ?";

    /** Cassandra warns of an unlogged batch over 10 partitions ({@code unlogged_batch_across_partitions_warn_threshold}). */
    static final int PARTITIONS_PER_REQUEST = 10;
    /** Cassandra warns of a multi-partition batch over 5 KiB ({@code batch_size_warn_threshold}): kept under it with room. */
    static final long BYTES_PER_REQUEST = 4096;
    /** A claim's fixed cells, each value with its timestamp and TTL. */
    private static final int CLAIM_CELLS_BYTES = 30 + 5 * 16;

    private final CqlStatements cql;
    private final int ttlSeconds;
    private final int batchSize;

    public MessageLedger(CqlStatements cql, DedupConfig config) {
        this.cql = cql;
        this.ttlSeconds = (int) Math.max(1, Math.min(Integer.MAX_VALUE, config.window().toSeconds()));
        this.batchSize = config.ledgerBatchSize();
    }

    /** The raw-topic delivery that owns a message's row: its partition and offset. */
    public record Owner(int partition, long offset) {
    }

    /**
     * What the ledger holds for a message: the event time and index bucket its row is stored at, and the
     * delivery that owns it. The bucket is empty on claims made before layouts were recorded.
     */
    public record Claim(String messageId, Instant eventTime, Owner owner, Short indexBucket) {

        /** The bucket the owner's row was written to: the recorded one, else the original layout's. */
        public short rowBucket() {
            return indexBucket != null ? indexBucket : EventIndexLayout.bucket(messageId);
        }
    }

    /**
     * The claim partition of a message among {@code buckets}: Kafka's own key hash (murmur2 of
     * {@code source:messageId}, what the default partitioner uses), modulo the count. Stable whatever
     * the topic's partition count; aligned with the Kafka partition whenever that count divides it.
     */
    public static short bucket(String source, String messageId, int buckets) {
        return bucket(keyHash(source, messageId), buckets);
    }

    /** The claim partition among {@code buckets} of a message whose key has this {@link #keyHash}. */
    public static short bucket(int keyHash, int buckets) {
        return (short) (keyHash % buckets);
    }

    /** Kafka's hash of a message's key, made non-negative as its default partitioner does. */
    public static int keyHash(String source, String messageId) {
        return keyHash(EventKey.of(source, messageId));
    }

    /** Kafka's hash of a key ({@link EventKey}), made non-negative as its default partitioner does. */
    public static int keyHash(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8)));
    }

    /** The claims that exist among {@code messageIds} of one source and {@link #bucket bucket}, by messageId. */
    public Uni<Map<String, Claim>> find(String source, short bucket, List<String> messageIds) {
        Map<String, Claim> found = new HashMap<>();
        Uni<Map<String, Claim>> reading = Uni.createFrom().item(found);
        for (List<String> chunk : chunks(messageIds)) {
            reading = reading.flatMap(so -> cql.execute(FIND, source, bucket, chunk).map(result -> {
                for (Row row : result.currentPage()) {
                    // Every cell of a claim is written at once with one TTL: a row without its event time is gone.
                    if (!row.isNull("event_time")) {
                        found.put(row.getString("message_id"), claim(row));
                    }
                }
                return so;
            }));
        }
        return reading;
    }

    private static Claim claim(Row row) {
        return new Claim(row.getString("message_id"), row.getInstant("event_time"),
                new Owner(row.getInt("owner_partition"), row.getLong("owner_offset")),
                row.isNull("index_bucket") ? null : row.getShort("index_bucket"));
    }

    /** A partition of the ledger: the claims of a source in one bucket, whatever layout that bucket is of. */
    public record Partition(String source, short bucket) {
    }

    /**
     * Writes claims of several partitions, each living for the dedup window, in as few requests as
     * Cassandra takes without a warning: a batch's claims spread over about ten partitions at moderate
     * rates, and a request per partition was most of what a small batch cost Cassandra. An unlogged
     * batch is applied per partition, each partition's rows at once, so a claim is never half written;
     * one request holds at most {@link #PARTITIONS_PER_REQUEST} partitions and about
     * {@link #BYTES_PER_REQUEST} bytes (Cassandra warns of a batch over 10 partitions or 5 KiB), and a
     * partition with more claims than that gets requests of its own.
     */
    public Uni<Void> record(Map<Partition, List<Claim>> claims) {
        Instant now = Instant.now();
        List<List<Object[]>> requests = new ArrayList<>();
        List<Object[]> shared = new ArrayList<>();
        int sharedPartitions = 0;
        long sharedBytes = 0;
        for (Map.Entry<Partition, List<Claim>> partition : claims.entrySet()) {
            List<Object[]> rows = new ArrayList<>(partition.getValue().size());
            long bytes = 0;
            for (Claim c : partition.getValue()) {
                rows.add(new Object[] {partition.getKey().source(), partition.getKey().bucket(), c.messageId(), c.eventTime(),
                        now, c.owner().partition(), c.owner().offset(), c.indexBucket(), ttlSeconds});
                bytes += estimatedBytes(partition.getKey().source(), c);
            }
            if (bytes > BYTES_PER_REQUEST || rows.size() > batchSize) {
                // One partition's rows are one mutation, which Cassandra does not warn of: chunked by count only.
                chunks(rows).forEach(requests::add);
                continue;
            }
            if (sharedPartitions == PARTITIONS_PER_REQUEST || sharedBytes + bytes > BYTES_PER_REQUEST) {
                requests.add(shared);
                shared = new ArrayList<>();
                sharedPartitions = 0;
                sharedBytes = 0;
            }
            shared.addAll(rows);
            sharedPartitions++;
            sharedBytes += bytes;
        }
        if (!shared.isEmpty()) {
            requests.add(shared);
        }
        return Multi.createFrom().iterable(requests)
                .onItem().transformToUniAndMerge(rows -> cql.executeBatch(RECORD, rows))
                .collect().last().replaceWithVoid();
    }

    /**
     * About what a claim adds to a batch's size as Cassandra counts it: its values, and a timestamp
     * and TTL for each of its five cells.
     */
    private static long estimatedBytes(String source, Claim claim) {
        return source.length() + 2 * claim.messageId().length() + CLAIM_CELLS_BYTES;
    }

    private <T> List<List<T>> chunks(List<T> items) {
        List<List<T>> chunks = new ArrayList<>();
        for (int from = 0; from < items.size(); from += batchSize) {
            chunks.add(items.subList(from, Math.min(items.size(), from + batchSize)));
        }
        return chunks;
    }
}
