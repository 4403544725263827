package io.tidemark.mart.query;

import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.tidemark.mart.config.MartConfig;
import io.tidemark.mart.export.MartLayout;
import io.tidemark.mart.export.MartSwapLock;
import io.tidemark.mart.export.UserKeyHash;
import io.tidemark.mart.model.ActiveUsers;
import io.tidemark.mart.model.DailyMetrics;
import io.tidemark.mart.model.TopEvents;
import io.tidemark.mart.repository.ChangeLedger;
import io.tidemark.mart.repository.DuckDbEngine;
import io.tidemark.mart.repository.ExportLedger;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.duckdb.DuckDBConnection;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Lock;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Dashboard numbers computed by DuckDB from the Parquet marts. Every query filters on the Hive key
 * event_date, so DuckDB opens only the files of the asked days, and on event_time, so row groups
 * outside the range are skipped by their min/max statistics. Active users read the days' small
 * user rollups instead of their events.
 */
@ApplicationScoped
public class MartQueries {

    private static final int WEEK_DAYS = 7;
    private static final int MONTH_DAYS = 30;
    private static final String USER = UserKeyHash.USER;
    private static final Logger LOG = Logger.getLogger(MartQueries.class);

    private final DuckDbEngine engine;
    private final MartSwapLock lock;
    private final ChangeLedger changes;
    private final ExportLedger exports;
    private final MartLayout layout;
    // DuckDB's JDBC calls block for the whole query: they run on this bounded pool, never on an event
    // loop, and the bound caps how many scans compete for DuckDB's threads and memory. Its queue is
    // bounded too: past it a burst is refused at once instead of piling up behind slow scans.
    private final ThreadPoolExecutor pool;
    private final Duration timeout;
    private final int queueLimit;
    // Cancels a DuckDB statement still running at its deadline, so a timed-out query frees its worker.
    private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "mart-query-deadline");
        thread.setDaemon(true);
        return thread;
    });

    public MartQueries(DuckDbEngine engine, MartSwapLock lock, ChangeLedger changes, ExportLedger exports,
            MartConfig config) {
        this.engine = engine;
        this.lock = lock;
        this.changes = changes;
        this.exports = exports;
        this.layout = new MartLayout(config.export().root());
        AtomicInteger threads = new AtomicInteger();
        int concurrency = config.duckdb().queryConcurrency();
        int queue = config.duckdb().queryQueue();
        this.pool = new ThreadPoolExecutor(concurrency, concurrency, 0, TimeUnit.MILLISECONDS,
                queue == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(queue), task -> {
                    Thread thread = new Thread(task, "mart-query-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                }, new ThreadPoolExecutor.AbortPolicy());
        this.timeout = config.duckdb().queryTimeout();
        this.queueLimit = queue;
    }

    public Uni<DailyMetrics> daily(String source, DateRange range, Optional<String> event) {
        return onPool(() -> {
            requireKnown(source);
            Instant through = exports.exportedThrough(source).orElse(null);
            Map<LocalDate, long[]> counts = new HashMap<>();
            // All events: the per-day summaries written with each day, one tiny file per day.
            // One event: its rows, from the event files.
            String sql = event.isEmpty()
                    ? "SELECT event_date, events, users FROM read_parquet('" + quoted(layout.summaryGlob(source))
                      + "', hive_partitioning = true, hive_types = {'event_date': DATE}) WHERE event_date BETWEEN DATE '"
                      + range.from() + "' AND DATE '" + range.to() + "'"
                    : "SELECT event_date, count(*) AS events, count(DISTINCT " + USER + ") AS users FROM "
                      + scan(source) + " WHERE " + days(range.from(), range.to()) + " AND event = ? GROUP BY event_date";
            query(source, sql, event.map(List::of).orElse(List.of()), rows -> {
                while (rows.next()) {
                    counts.put(rows.getObject("event_date", LocalDate.class),
                            new long[] {rows.getLong("events"), rows.getLong("users")});
                }
            });
            List<DailyMetrics.Day> days = range.from().datesUntil(range.to().plusDays(1)).map(day -> {
                long[] c = counts.getOrDefault(day, new long[2]);
                return new DailyMetrics.Day(day, c[0], c[1]);
            }).toList();
            return new DailyMetrics(source, range.from(), range.to(), through, days);
        });
    }

    /**
     * From the days' user rollups, a few hundred KB of sorted BIGINTs per day instead of every event
     * row. A day exported before rollups existed (or whose rollup is gone) is answered from its event
     * files with the same {@link UserKeyHash}, so mixing both kinds of day never counts a user twice;
     * its next re-export writes its rollup.
     */
    public Uni<ActiveUsers> activeUsers(String source, LocalDate date) {
        return onPool(() -> {
            requireKnown(source);
            LocalDate monthStart = date.minusDays(MONTH_DAYS - 1);
            LocalDate weekStart = date.minusDays(WEEK_DAYS - 1);
            long[] result = new long[3];
            Lock reading = lock.reading();
            // Listing and query under one read lock: a swap in between would leave the list naming gone files.
            reading.lock();
            try {
                List<String> rollups = new ArrayList<>();
                List<String> eventFiles = new ArrayList<>();
                for (LocalDate day = monthStart; !day.isAfter(date); day = day.plusDays(1)) {
                    Path rollup = layout.usersRollup(source, day);
                    if (Files.isRegularFile(rollup)) {
                        rollups.add(rollup.toString());
                    } else {
                        eventFiles.addAll(eventFiles(layout.dayDir(source, day)));
                    }
                }
                List<String> parts = new ArrayList<>();
                if (!rollups.isEmpty()) {
                    parts.add("SELECT " + UserKeyHash.COLUMN + ", event_date FROM " + scan(rollups));
                }
                if (!eventFiles.isEmpty()) {
                    parts.add("SELECT " + UserKeyHash.ofEventRow() + " AS " + UserKeyHash.COLUMN + ", event_date FROM "
                            + scan(eventFiles) + " WHERE " + days(monthStart, date) + " AND " + UserKeyHash.USER
                            + " IS NOT NULL");
                }
                if (parts.isEmpty()) {
                    return new ActiveUsers(date, 0, 0, 0);
                }
                // One grouping by user instead of three distinct counts: a user is active on the day (or in
                // the week) exactly when the last day it was seen in the 30 days is that day (or in that week).
                String sql = "SELECT count(*) FILTER (WHERE last_seen = DATE '" + date + "') AS dau, "
                        + "count(*) FILTER (WHERE last_seen >= DATE '" + weekStart + "') AS wau, count(*) AS mau "
                        + "FROM (SELECT " + UserKeyHash.COLUMN + ", max(event_date) AS last_seen FROM ("
                        + String.join(" UNION ALL ", parts) + ") GROUP BY " + UserKeyHash.COLUMN + ")";
                run(source, sql, List.of(), rows -> {
                    if (rows.next()) {
                        result[0] = rows.getLong("dau");
                        result[1] = rows.getLong("wau");
                        result[2] = rows.getLong("mau");
                    }
                });
            } finally {
                reading.unlock();
            }
            return new ActiveUsers(date, result[0], result[1], result[2]);
        });
    }

    public Uni<TopEvents> topEvents(String source, DateRange range, int limit) {
        return onPool(() -> {
            requireKnown(source);
            String sql = "SELECT event, count(*) AS count, count(DISTINCT " + USER + ") AS users FROM " + scan(source)
                    + " WHERE " + days(range.from(), range.to()) + " AND event IS NOT NULL"
                    + " GROUP BY event ORDER BY count DESC, event LIMIT " + limit;
            List<TopEvents.Event> events = new ArrayList<>();
            query(source, sql, List.of(), rows -> {
                while (rows.next()) {
                    events.add(new TopEvents.Event(rows.getString("event"), rows.getLong("count"), rows.getLong("users")));
                }
            });
            return new TopEvents(events);
        });
    }

    private void requireKnown(String source) {
        if (!changes.sourceExists(source)) {
            throw new UnknownSourceException(source);
        }
    }

    private String scan(String source) {
        return "read_parquet('" + quoted(layout.sourceGlob(source)) + "', hive_partitioning = true, "
                + "hive_types = {'event_date': DATE})";
    }

    /** Named files, with the Hive keys of their paths as columns. */
    private static String scan(List<String> files) {
        return "read_parquet([" + files.stream().map(f -> "'" + quoted(f) + "'").collect(Collectors.joining(", "))
                + "], hive_partitioning = true, hive_types = {'event_date': DATE})";
    }

    private static String quoted(String text) {
        return text.replace("'", "''");
    }

    /** Both filters: the partition key prunes files, the event_time range lets row-group statistics skip. */
    private static String days(LocalDate from, LocalDate to) {
        return "event_date BETWEEN DATE '" + from + "' AND DATE '" + to + "'"
                + " AND event_time >= TIMESTAMPTZ '" + from + " 00:00:00+00'"
                + " AND event_time < TIMESTAMPTZ '" + to.plusDays(1) + " 00:00:00+00'";
    }

    private interface RowsReader {
        void read(ResultSet rows) throws SQLException;
    }

    private void query(String source, String sql, List<String> parameters, RowsReader reader) {
        Lock reading = lock.reading();
        reading.lock();
        try {
            if (!hasDays(source)) {
                // DuckDB refuses a glob that matches no file; a source not exported yet simply has no rows.
                return;
            }
            run(source, sql, parameters, reader);
        } finally {
            reading.unlock();
        }
    }

    /** Runs a query; the caller holds the read lock. */
    private void run(String source, String sql, List<String> parameters, RowsReader reader) {
        AtomicBoolean cancelled = new AtomicBoolean();
        try (DuckDBConnection duck = engine.connect(); PreparedStatement statement = duck.prepareStatement(sql)) {
            for (int i = 0; i < parameters.size(); i++) {
                statement.setString(i + 1, parameters.get(i));
            }
            ScheduledFuture<?> deadline = deadlines.schedule(() -> {
                cancelled.set(true);
                try {
                    statement.cancel();
                } catch (SQLException e) {
                    LOG.debugf(e, "cancelling a query of source %s at its deadline failed", source);
                }
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
            try (ResultSet rows = statement.executeQuery()) {
                reader.read(rows);
            } finally {
                deadline.cancel(false);
            }
        } catch (SQLException e) {
            if (cancelled.get()) {
                throw new QueryRefusedException("the query ran longer than " + timeout.toSeconds() + " s");
            }
            throw new IllegalStateException("mart query failed for source " + source + ": " + e.getMessage(), e);
        }
    }

    /** The event files of one day directory, none when the day was never exported or had no events. */
    private static List<String> eventFiles(Path dayDir) {
        if (!Files.isDirectory(dayDir)) {
            return List.of();
        }
        List<String> files = new ArrayList<>();
        try (DirectoryStream<Path> parts = Files.newDirectoryStream(dayDir, "*.parquet")) {
            parts.forEach(part -> files.add(part.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    private boolean hasDays(String source) {
        Path dir = layout.sourceDir(source);
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (DirectoryStream<Path> days = Files.newDirectoryStream(dir, "event_date=*")) {
            for (Path day : days) {
                if (!eventFiles(day).isEmpty()) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Queries waiting for a free worker. */
    public int waiting() {
        return pool.getQueue().size();
    }

    private <T> Uni<T> onPool(Supplier<T> work) {
        return Uni.createFrom().deferred(() -> {
            CompletableFuture<T> result = new CompletableFuture<>();
            try {
                pool.execute(() -> {
                    // Timed out while waiting: its caller has its answer, so the scan is not started at all.
                    if (result.isDone()) {
                        return;
                    }
                    try {
                        result.complete(work.get());
                    } catch (Throwable e) {
                        result.completeExceptionally(e);
                    }
                });
            } catch (RejectedExecutionException e) {
                return Uni.createFrom().failure(
                        new QueryRefusedException("too many queries are waiting (at most " + queueLimit + ")"));
            }
            // The deadline counts from arrival, waiting included: it is what the caller waits for.
            ScheduledFuture<?> deadline = deadlines.schedule(() -> result.completeExceptionally(new QueryRefusedException(
                    "the query did not finish within " + timeout.toSeconds() + " s")), timeout.toMillis(), TimeUnit.MILLISECONDS);
            result.whenComplete((answer, failure) -> deadline.cancel(false));
            return Uni.createFrom().completionStage(result);
        });
    }

    void stop(@Observes ShutdownEvent event) {
        pool.shutdownNow();
        deadlines.shutdownNow();
    }
}
