package io.tidemark.event;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * Where an event lives in the Cassandra event-time index. Writers (dedup) and readers (mart)
 * must agree on this, which is why it lives here and not in either service.
 */
public final class EventIndexLayout {

    /**
     * Partitions per (source, day). Part of the stored data's layout: changing it makes rows
     * written before invisible to readers, so it changes only with a schema migration.
     */
    public static final int BUCKETS_PER_DAY = 8;

    private EventIndexLayout() {
    }

    /** The UTC calendar day of an event time: dashboards and files are cut on UTC days. */
    public static LocalDate eventDay(Instant eventTime) {
        return LocalDate.ofInstant(eventTime, ZoneOffset.UTC);
    }

    /** A stable bucket for a message, so every copy of it is written to the same partition. */
    public static short bucket(String messageId) {
        return (short) Math.floorMod(messageId.hashCode(), BUCKETS_PER_DAY);
    }
}
