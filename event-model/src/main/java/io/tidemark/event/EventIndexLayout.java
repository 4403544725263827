package io.tidemark.event;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * Where an event lives in the Cassandra event-time index. Writers (dedup) and readers (mart)
 * must agree on this, which is why it lives here and not in either service.
 *
 * <p>A (source, day) is spread over a number of buckets recorded in {@code tidemark.index_layouts}
 * (see dedup's {@code 002_index_layouts.cql}), from {@link #ORIGINAL_BUCKETS} up to
 * {@link #MAX_BUCKETS}, only ever growing. A layout cuts the day into slices of event time and each
 * slice into as many hash buckets: a message's bucket is its slice's first bucket plus the hash of
 * its Kafka key within the slice, under the layout in force when it was claimed (rows placed before
 * that used its messageId's hash; their claims say where they are). Events that arrive
 * together have nearly the same event time, so they share a few partitions whatever the day's size,
 * and a writer still batches them. Each layout has at least as many buckets as the one before, so a
 * reader scans {@code 0 .. bucketsToRead - 1} and finds the rows of every layout.
 */
public final class EventIndexLayout {

    /**
     * Buckets of a (source, day) that has no recorded layout: every day written before layouts were
     * recorded, and a new day until dedup records one. Part of the stored data's layout.
     */
    public static final int ORIGINAL_BUCKETS = 8;

    /** The most buckets a day may have: bucket numbers are a smallint. */
    public static final int MAX_BUCKETS = 32_768;

    /** The slice of a layout that does not cut the day: the original layout's. */
    public static final int WHOLE_DAY_SECONDS = 86_400;

    /** The highest bucket count recorded for a (source, day): versions are clustered newest first. */
    public static final String HIGHEST_BUCKETS_CQL =
            "SELECT buckets FROM tidemark.index_layouts WHERE source = ? AND event_date = ? LIMIT 1";

    private EventIndexLayout() {
    }

    /** The UTC calendar day of an event time: dashboards and files are cut on UTC days. */
    public static LocalDate eventDay(Instant eventTime) {
        return LocalDate.ofInstant(eventTime, ZoneOffset.UTC);
    }

    /**
     * A message's bucket in a day of the original layout, as dedup placed rows before it placed them by
     * their Kafka key's hash: still where the row of a claim that recorded no bucket is.
     */
    public static short bucket(String messageId) {
        return bucket(messageId, ORIGINAL_BUCKETS);
    }

    /** A message's bucket in a day of {@code buckets} not cut into slices, by its messageId's hash (see {@link #bucket(String)}). */
    public static short bucket(String messageId, int buckets) {
        return (short) Math.floorMod(messageId.hashCode(), buckets);
    }

    /**
     * A new message's bucket in a day cut into slices of {@code sliceSeconds} (dividing a day), with
     * {@code buckets} in all (a multiple of the slice count): its event time's slice, and within it the
     * {@code keyHash} of its Kafka key, the hash the raw topic is partitioned by (a non-negative int).
     * Stable, so every copy of a message at the same event time goes to the same partition; and the
     * messages of one raw partition share a fraction of a slice's buckets (all of them only when the
     * two counts are coprime), so a batch from it writes fewer partitions than a hash of its own would.
     * Where a message's row went is recorded with its claim; this places new ones only.
     */
    public static short bucket(int keyHash, Instant eventTime, int sliceSeconds, int buckets) {
        int slices = WHOLE_DAY_SECONDS / sliceSeconds;
        int perSlice = buckets / slices;
        long secondOfDay = Math.floorMod(eventTime.getEpochSecond(), (long) WHOLE_DAY_SECONDS);
        int slice = (int) (secondOfDay / sliceSeconds);
        return (short) (slice * perSlice + Math.floorMod(keyHash, perSlice));
    }

    /** The buckets a reader scans, given the highest count {@link #HIGHEST_BUCKETS_CQL} found (null: none recorded). */
    public static int bucketsToRead(Integer recorded) {
        return recorded == null ? ORIGINAL_BUCKETS : Math.max(ORIGINAL_BUCKETS, recorded);
    }
}
