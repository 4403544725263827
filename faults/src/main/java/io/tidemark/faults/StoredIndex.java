package io.tidemark.faults;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.tidemark.testsupport.IndexBuckets;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** What Cassandra's event-time index holds for some sources: every row, as (messageId, day). */
final class StoredIndex {

    /** One stored row of tidemark.events_by_day. */
    record StoredRow(String source, String messageId, LocalDate day) {
    }

    private StoredIndex() {
    }

    /**
     * Reads every bucket of every day in [from, to] of the sources at QUORUM: on a cluster a row counts
     * as stored when a majority of its replicas returns it, the promise dedup's writes make; one node
     * holding a row the others miss is not enough. A fresh session each time, so an earlier outage does
     * not linger. {@code contactPoints}: host:port,host:port...
     */
    static List<StoredRow> read(String contactPoints, List<String> sources, LocalDate from, LocalDate to) {
        DriverConfigLoader config = DriverConfigLoader.programmaticBuilder()
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(20))
                .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(10))
                .withString(DefaultDriverOption.REQUEST_CONSISTENCY, "QUORUM")
                .build();
        List<InetSocketAddress> nodes = new ArrayList<>();
        for (String address : contactPoints.split(",")) {
            int colon = address.lastIndexOf(':');
            nodes.add(new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))));
        }
        try (CqlSession session = CqlSession.builder().addContactPoints(nodes)
                .withLocalDatacenter("datacenter1").withConfigLoader(config).build()) {
            PreparedStatement select = session.prepare(
                    "SELECT message_id FROM tidemark.events_by_day WHERE source = ? AND event_date = ? AND bucket = ?");
            List<StoredRow> rows = java.util.Collections.synchronizedList(new ArrayList<>());
            for (String source : sources) {
                List<CompletableFuture<Void>> reads = new ArrayList<>();
                for (LocalDate day = from; !day.isAfter(to); day = day.plusDays(1)) {
                    int buckets = IndexBuckets.toRead(session, source, day);
                    for (short bucket = 0; bucket < buckets; bucket++) {
                        LocalDate d = day;
                        reads.add(collect(session.executeAsync(select.bind(source, day, bucket)), source, d, rows)
                                .toCompletableFuture());
                    }
                }
                CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).join();
            }
            return List.copyOf(rows);
        }
    }

    private static CompletionStage<Void> collect(CompletionStage<AsyncResultSet> page, String source, LocalDate day,
            List<StoredRow> rows) {
        return page.thenCompose(rs -> {
            for (Row row : rs.currentPage()) {
                rows.add(new StoredRow(source, row.getString("message_id"), day));
            }
            return rs.hasMorePages() ? collect(rs.fetchNextPage(), source, day, rows) : CompletableFuture.completedFuture(null);
        });
    }

    /** Rows per messageId, for counting. */
    static Map<String, List<StoredRow>> byMessageId(List<StoredRow> rows) {
        Map<String, List<StoredRow>> result = new HashMap<>();
        for (StoredRow row : rows) {
            result.computeIfAbsent(row.messageId(), k -> new ArrayList<>()).add(row);
        }
        return result;
    }
}
