package io.tidemark.e2e;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.tidemark.event.EventIndexLayout;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/** Reads what dedup stored in the event-time index: how many rows each messageId has, on which day, for whom. */
final class StoredRows implements AutoCloseable {

    /** One stored row. */
    record Stored(LocalDate day, Instant eventTime) {
    }

    private final CqlSession session;
    private final PreparedStatement partition;

    StoredRows(String host, int port) {
        session = CqlSession.builder().addContactPoint(new InetSocketAddress(host, port))
                .withLocalDatacenter("datacenter1")
                .withConfigLoader(DriverConfigLoader.programmaticBuilder()
                        .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(20)).build())
                .build();
        partition = session.prepare("SELECT message_id, event_time, anonymous_id, properties FROM tidemark.events_by_day "
                + "WHERE source = ? AND event_date = ? AND bucket = ?");
    }

    /** Every row of {@code source} on {@code days}, grouped by messageId (every bucket of each day). */
    Map<String, java.util.List<Stored>> rows(String source, Collection<LocalDate> days) {
        Map<String, java.util.List<Stored>> rows = new HashMap<>();
        scan(source, days, (day, row) -> rows.computeIfAbsent(row.getString("message_id"), id -> new java.util.ArrayList<>())
                .add(new Stored(day, row.getInstant("event_time"))));
        return rows;
    }

    /** The anonymousId stored with each messageId of {@code source} on {@code days}; null where it has none. */
    Map<String, String> anonymousIds(String source, Collection<LocalDate> days) {
        Map<String, String> ids = new HashMap<>();
        scan(source, days, (day, row) -> ids.put(row.getString("message_id"), row.getString("anonymous_id")));
        return ids;
    }

    /** The properties (JSON text) stored with each messageId of {@code source} on {@code days}. */
    Map<String, String> properties(String source, Collection<LocalDate> days) {
        Map<String, String> properties = new HashMap<>();
        scan(source, days, (day, row) -> properties.put(row.getString("message_id"), row.getString("properties")));
        return properties;
    }

    private void scan(String source, Collection<LocalDate> days, BiConsumer<LocalDate, Row> each) {
        for (LocalDate day : days) {
            for (short bucket = 0; bucket < EventIndexLayout.BUCKETS_PER_DAY; bucket++) {
                for (Row row : session.execute(partition.bind(source, day, bucket).setPageSize(5000))) {
                    each.accept(day, row);
                }
            }
        }
    }

    /** How many rows each messageId has, sorted by messageId: the shape {@code DedupDuplicatesIT.once} expects. */
    static Map<String, Integer> counts(Map<String, java.util.List<Stored>> rows) {
        Map<String, Integer> counts = new java.util.TreeMap<>();
        rows.forEach((id, stored) -> counts.put(id, stored.size()));
        return counts;
    }

    @Override
    public void close() {
        session.close();
    }
}
