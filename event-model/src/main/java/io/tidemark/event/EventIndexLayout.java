package io.tidemark.event;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * Where an event lives in the Cassandra event-time index. Writers (dedup) and readers (mart)
 * must agree on this, which is why it lives here and not in either service.
 *
 * <p>A (source, day) is spread over a number of buckets recorded in {@code tidemark.index_layouts}
 * (see dedup's {@code 002_index_layouts.cql}): a power of two from {@link #ORIGINAL_BUCKETS} up to
 * {@link #MAX_BUCKETS}, only ever growing. A message's bucket is the hash of its messageId modulo the
 * count in force when it was claimed; since every count divides the next, the buckets of every
 * version of a day are a prefix of the latest version's, and a reader scans
 * {@code 0 .. bucketsToRead - 1}.
 */
public final class EventIndexLayout {

    /**
     * Buckets of a (source, day) that has no recorded layout: every day written before layouts were
     * recorded, and a new day until dedup records one. Part of the stored data's layout.
     */
    public static final int ORIGINAL_BUCKETS = 8;

    /** The most buckets a day may have: 16,384 partitions of 25 MB hold 400 GB, a billion 400-byte events. */
    public static final int MAX_BUCKETS = 16_384;

    /** The highest bucket count recorded for a (source, day): versions are clustered newest first. */
    public static final String HIGHEST_BUCKETS_CQL =
            "SELECT buckets FROM tidemark.index_layouts WHERE source = ? AND event_date = ? LIMIT 1";

    private EventIndexLayout() {
    }

    /** The UTC calendar day of an event time: dashboards and files are cut on UTC days. */
    public static LocalDate eventDay(Instant eventTime) {
        return LocalDate.ofInstant(eventTime, ZoneOffset.UTC);
    }

    /** A message's bucket in a day of the original layout. */
    public static short bucket(String messageId) {
        return bucket(messageId, ORIGINAL_BUCKETS);
    }

    /** A message's bucket when its day has {@code buckets}: stable, so every copy goes to the same partition. */
    public static short bucket(String messageId, int buckets) {
        return (short) Math.floorMod(messageId.hashCode(), buckets);
    }

    /** The buckets a reader scans, given the highest count {@link #HIGHEST_BUCKETS_CQL} found (null: none recorded). */
    public static int bucketsToRead(Integer recorded) {
        return recorded == null ? ORIGINAL_BUCKETS : Math.max(ORIGINAL_BUCKETS, recorded);
    }
}
