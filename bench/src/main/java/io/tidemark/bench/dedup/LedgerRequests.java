package io.tidemark.bench.dedup;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventIndexLayout;
import io.tidemark.event.EventKey;
import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How dedup-service cuts new messages into Cassandra requests, restated for {@link LedgerFloor} from its
 * settings and its README ("The claim ledger"), so that the floor makes as many requests, of the same
 * sizes, as dedup does. A batch holds the records of one raw-topic partition; its claims are looked up
 * one request per claim partition, written in unlogged batches of at most ten partitions and about
 * 4 KiB (a partition with more gets requests of its own), and its rows written one request per index
 * partition, at most a hundred rows each. The events are of one source, every message new, placed by
 * the layouts a source of dedup's has ({@link Layout}): a busy source's claims are looked up in several
 * claim layouts and its rows written into minute slices, which takes more requests than the original
 * layout's sixty claim buckets and eight index buckets.
 */
final class LedgerRequests {

    /** dedup-service's {@code MessageLedger.BUCKETS}: claim partitions of a source without a grown layout. */
    static final int CLAIM_BUCKETS = 60;
    /** dedup-service's {@code ledger-batch-size} and {@code row-batch-size}. */
    static final int PER_REQUEST = 100;
    /** Under Cassandra's warnings of an unlogged batch over 10 partitions or 5 KiB, as dedup keeps them. */
    static final int PARTITIONS_PER_REQUEST = 10;
    static final long BYTES_PER_REQUEST = 4096;
    /** dedup-service's default {@code tidemark.dedup.window}, the claims' TTL. */
    static final Duration WINDOW = Duration.ofDays(30);
    /** dedup-service's {@code ClaimLayouts.STRAGGLERS}: how long an older layout may still take claims. */
    static final Duration STRAGGLERS = Duration.ofHours(1);
    /** What dedup-service counts for a claim's cells beside its source and messageId. */
    private static final int CLAIM_CELLS_BYTES = 110;

    private LedgerRequests() {
    }

    /** How a day of the index is cut: slices of event time, and buckets in all (dedup's {@code index_layouts}). */
    record Shape(int sliceSeconds, int buckets) {
        static final Shape ORIGINAL = new Shape(EventIndexLayout.WHOLE_DAY_SECONDS, EventIndexLayout.ORIGINAL_BUCKETS);
    }

    /**
     * Where a source's new messages go: the claim bucket counts a lookup reads, newest first (the first is
     * where new claims go), and each day's index shape (the original where none is given).
     */
    record Layout(List<Integer> claimBuckets, Map<LocalDate, Shape> days) {
        static final Layout ORIGINAL = new Layout(List.of(CLAIM_BUCKETS), Map.of());

        Shape day(LocalDate day) {
            return days.getOrDefault(day, Shape.ORIGINAL);
        }

        short rowBucket(CollectedEvent e) {
            Shape shape = day(EventIndexLayout.eventDay(e.timestamp()));
            return EventIndexLayout.bucket(keyHash(e), e.timestamp(), shape.sliceSeconds(), shape.buckets());
        }

        /**
         * The layouts dedup recorded for {@code source}, on {@code days}: the claim layouts a lookup reads, as
         * dedup chooses them (the newest, and each older one while the one after it was decided within the
         * window, ending with the original); each day's newest index layout.
         */
        static Layout recorded(CqlSession session, String source, Set<LocalDate> days) {
            List<ClaimLayout> decided = new ArrayList<>();
            // Newest first: the table's clustering order.
            session.execute("SELECT buckets, decided_at FROM tidemark.claim_layouts WHERE source = ?", source)
                    .forEach(row -> decided.add(new ClaimLayout(row.getInt("buckets"), row.getInstant("decided_at"))));
            List<Integer> claimBuckets = lookedUp(decided, Instant.now());
            Map<LocalDate, Shape> shapes = new LinkedHashMap<>();
            for (LocalDate day : days) {
                Row newest = session.execute("SELECT buckets, slice_seconds FROM tidemark.index_layouts "
                        + "WHERE source = ? AND event_date = ? LIMIT 1", source, day).one();
                if (newest != null) {
                    shapes.put(day, new Shape(newest.getInt("slice_seconds"), newest.getInt("buckets")));
                }
            }
            return new Layout(List.copyOf(claimBuckets), shapes);
        }
    }

    /** A recorded claim layout: its bucket count, and when it was decided. */
    record ClaimLayout(int buckets, Instant decidedAt) {
    }

    /**
     * The claim bucket counts a lookup reads at {@code now}, given the recorded layouts newest first: the
     * newest, then each older one (the original, recorded nowhere, last) while the one after it was decided
     * within the window, as dedup-service's {@code ClaimLayouts.lookupBuckets} chooses them.
     */
    static List<Integer> lookedUp(List<ClaimLayout> newestFirst, Instant now) {
        List<ClaimLayout> layouts = new ArrayList<>(newestFirst);
        layouts.add(new ClaimLayout(CLAIM_BUCKETS, Instant.EPOCH));
        List<Integer> buckets = new ArrayList<>(List.of(layouts.get(0).buckets()));
        Instant cutoff = now.minus(WINDOW).minus(STRAGGLERS);
        for (int i = 1; i < layouts.size() && layouts.get(i - 1).decidedAt().isAfter(cutoff); i++) {
            buckets.add(layouts.get(i).buckets());
        }
        return buckets;
    }

    /** One lookup: messageIds of one claim partition. */
    record Lookup(String source, short bucket, List<String> messageIds) {
    }

    /** A claim to write, in its claim partition, naming the index bucket of its row. */
    record Claim(String source, short bucket, CollectedEvent event, short rowBucket) {
    }

    /** A row to write, in its index bucket. */
    record Placed(CollectedEvent event, short bucket) {
    }

    /** The hash the raw topic is partitioned by (Kafka's default partitioner on the record key). */
    static int keyHash(CollectedEvent event) {
        return Utils.toPositive(Utils.murmur2(EventKey.of(event.source(), event.messageId()).getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * The events as dedup polls them: each raw partition's in order, cut into batches of {@code size},
     * the partitions' batches taken in turn as dedup's partition pipelines run side by side.
     */
    static List<List<CollectedEvent>> batches(List<CollectedEvent> events, int partitions, int size) {
        List<List<CollectedEvent>> byPartition = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            byPartition.add(new ArrayList<>());
        }
        events.forEach(e -> byPartition.get(keyHash(e) % partitions).add(e));
        List<List<CollectedEvent>> batches = new ArrayList<>();
        int longest = byPartition.stream().mapToInt(List::size).max().orElse(0);
        for (int from = 0; from < longest; from += size) {
            for (List<CollectedEvent> partition : byPartition) {
                if (from < partition.size()) {
                    batches.add(partition.subList(from, Math.min(partition.size(), from + size)));
                }
            }
        }
        return batches;
    }

    /** Each message looked for in its bucket under every claim layout a lookup reads, one query per partition. */
    static List<Lookup> lookups(List<CollectedEvent> batch, Layout layout) {
        Map<Short, Set<String>> byBucket = new LinkedHashMap<>();
        for (int buckets : layout.claimBuckets()) {
            for (CollectedEvent e : batch) {
                byBucket.computeIfAbsent((short) (keyHash(e) % buckets), k -> new LinkedHashSet<>()).add(e.messageId());
            }
        }
        String source = batch.get(0).source();
        List<Lookup> lookups = new ArrayList<>();
        byBucket.forEach((bucket, ids) -> chunks(List.copyOf(ids)).forEach(chunk -> lookups.add(new Lookup(source, bucket, chunk))));
        return lookups;
    }

    static List<List<Claim>> claims(List<CollectedEvent> batch, Layout layout) {
        List<List<Claim>> requests = new ArrayList<>();
        List<Claim> shared = new ArrayList<>();
        int sharedPartitions = 0;
        long sharedBytes = 0;
        for (List<Claim> partition : claimPartitions(batch, layout).values()) {
            long bytes = partition.stream().mapToLong(c -> c.source().length() + 2L * c.event().messageId().length()
                    + CLAIM_CELLS_BYTES).sum();
            if (bytes > BYTES_PER_REQUEST || partition.size() > PER_REQUEST) {
                requests.addAll(chunks(partition));
                continue;
            }
            if (sharedPartitions == PARTITIONS_PER_REQUEST || sharedBytes + bytes > BYTES_PER_REQUEST) {
                requests.add(shared);
                shared = new ArrayList<>();
                sharedPartitions = 0;
                sharedBytes = 0;
            }
            shared.addAll(partition);
            sharedPartitions++;
            sharedBytes += bytes;
        }
        if (!shared.isEmpty()) {
            requests.add(shared);
        }
        return requests;
    }

    /** Rows by index partition, as dedup places a new message: its event time's slice, its key's hash within it. */
    static List<List<Placed>> rows(List<CollectedEvent> batch, Layout layout) {
        Map<String, List<Placed>> byPartition = new LinkedHashMap<>();
        for (CollectedEvent e : batch) {
            LocalDate day = EventIndexLayout.eventDay(e.timestamp());
            short bucket = layout.rowBucket(e);
            byPartition.computeIfAbsent(e.source() + '|' + day + '|' + bucket, k -> new ArrayList<>())
                    .add(new Placed(e, bucket));
        }
        List<List<Placed>> requests = new ArrayList<>();
        byPartition.values().forEach(rows -> requests.addAll(chunks(rows)));
        return requests;
    }

    private static Map<Short, List<Claim>> claimPartitions(List<CollectedEvent> batch, Layout layout) {
        Map<Short, List<Claim>> byBucket = new LinkedHashMap<>();
        int buckets = layout.claimBuckets().get(0);
        for (CollectedEvent e : batch) {
            short bucket = (short) (keyHash(e) % buckets);
            byBucket.computeIfAbsent(bucket, k -> new ArrayList<>()).add(new Claim(e.source(), bucket, e, layout.rowBucket(e)));
        }
        return byBucket;
    }

    private static <T> List<List<T>> chunks(List<T> items) {
        List<List<T>> chunks = new ArrayList<>();
        for (int from = 0; from < items.size(); from += PER_REQUEST) {
            chunks.add(items.subList(from, Math.min(items.size(), from + PER_REQUEST)));
        }
        return chunks;
    }
}
