package io.tidemark.e2e;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.tidemark.testsupport.IndexBuckets;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static org.awaitility.Awaitility.await;

/** Reads what dedup stored in the event-time index: how many rows each messageId has, on which day, for whom. */
final class StoredRows implements AutoCloseable {

    /** One stored row. */
    record Stored(LocalDate day, Instant eventTime) {
    }

    /**
     * How long a read keeps trying while the driver reconnects after a restart of Cassandra; it also
     * bounds one whole read, and the largest (20,000 rows of 30 KB) takes well under a minute.
     */
    private static final Duration RECONNECT_PATIENCE = Duration.ofMinutes(3);

    /**
     * Rows per page of a read of the properties: a page is built whole in Cassandra's heap, and rows near
     * ingest's 32 KB limit (DedupLargeRecordsIT) made pages of 5,000 rows 150 MB, which ended the test's
     * Cassandra with an OutOfMemoryError in the middle of the read.
     */
    private static final int PROPERTIES_PAGE_ROWS = 200;
    /** Rows per page of the reads without the properties: a few dozen bytes a row. */
    private static final int SMALL_PAGE_ROWS = 5000;

    private final CqlSession session;
    /**
     * One statement per set of columns: counting rows is what tests do most, every half second while they
     * wait, and reading the ~30 KB properties of each row for it took DedupLargeRecordsIT's final read 11 s.
     */
    private final PreparedStatement times;
    private final PreparedStatement anonymousIds;
    private final PreparedStatement properties;

    StoredRows(String host, int port) {
        session = CqlSession.builder().addContactPoint(new InetSocketAddress(host, port))
                .withLocalDatacenter("datacenter1")
                .withConfigLoader(DriverConfigLoader.programmaticBuilder()
                        .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(20)).build())
                .build();
        times = prepare("message_id, event_time");
        anonymousIds = prepare("message_id, anonymous_id");
        properties = prepare("message_id, properties");
    }

    private PreparedStatement prepare(String columns) {
        return session.prepare("SELECT " + columns + " FROM tidemark.events_by_day "
                + "WHERE source = ? AND event_date = ? AND bucket = ?");
    }

    /** Every row of {@code source} on {@code days}, grouped by messageId (every bucket of each day). */
    Map<String, List<Stored>> rows(String source, Collection<LocalDate> days) {
        return collect(source, days, times, SMALL_PAGE_ROWS, (rows, day, row) -> rows.computeIfAbsent(
                row.getString("message_id"), id -> new ArrayList<>()).add(new Stored(day, row.getInstant("event_time"))));
    }

    /** The anonymousId stored with each messageId of {@code source} on {@code days}; null where it has none. */
    Map<String, String> anonymousIds(String source, Collection<LocalDate> days) {
        return collect(source, days, anonymousIds, SMALL_PAGE_ROWS,
                (ids, day, row) -> ids.put(row.getString("message_id"), row.getString("anonymous_id")));
    }

    /** The properties (JSON text) stored with each messageId of {@code source} on {@code days}. */
    Map<String, String> properties(String source, Collection<LocalDate> days) {
        return collect(source, days, properties, PROPERTIES_PAGE_ROWS,
                (into, day, row) -> into.put(row.getString("message_id"), row.getString("properties")));
    }

    /** Adds one stored row to what a read collects. */
    private interface Collector<V> {
        void add(Map<String, V> into, LocalDate day, Row row);
    }

    /**
     * Reads every bucket of {@code days} into a fresh map, again from the start when the driver fails
     * on the way: tests read with a session opened before they stopped and restarted Cassandra, and
     * its first requests after the restart can meet a channel the node closed ("Unexpected error on
     * channel") while the driver is still reconnecting.
     */
    private <V> Map<String, V> collect(String source, Collection<LocalDate> days, PreparedStatement columns, int pageRows,
            Collector<V> collector) {
        return await("a read of " + source + " while the driver reconnects").atMost(RECONNECT_PATIENCE)
                .pollDelay(Duration.ZERO).pollInterval(Duration.ofSeconds(1)).ignoreExceptionsInstanceOf(DriverException.class)
                .until(() -> readOnce(source, days, columns, pageRows, collector), Objects::nonNull);
    }

    private <V> Map<String, V> readOnce(String source, Collection<LocalDate> days, PreparedStatement columns, int pageRows,
            Collector<V> collector) {
        Map<String, V> into = new HashMap<>();
        for (LocalDate day : days) {
            int buckets = IndexBuckets.toRead(session, source, day);
            for (short bucket = 0; bucket < buckets; bucket++) {
                for (Row row : session.execute(columns.bind(source, day, bucket).setPageSize(pageRows))) {
                    collector.add(into, day, row);
                }
            }
        }
        return into;
    }

    /** How many rows each messageId has, sorted by messageId: the shape {@code DedupDuplicatesIT.once} expects. */
    static Map<String, Integer> counts(Map<String, List<Stored>> rows) {
        Map<String, Integer> counts = new java.util.TreeMap<>();
        rows.forEach((id, stored) -> counts.put(id, stored.size()));
        return counts;
    }

    @Override
    public void close() {
        session.close();
    }
}
