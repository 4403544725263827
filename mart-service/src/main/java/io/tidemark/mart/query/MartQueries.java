package io.tidemark.mart.query;

import io.smallrye.mutiny.Uni;
import io.tidemark.mart.layout.MartLayout;
import io.tidemark.mart.layout.MartSwapLock;
import io.tidemark.mart.layout.UserKeyHash;
import io.tidemark.mart.model.ActiveUsers;
import io.tidemark.mart.model.Breakdown;
import io.tidemark.mart.model.DailyMetrics;
import io.tidemark.mart.model.TopEvents;
import io.tidemark.mart.repository.ChangeLedger;
import io.tidemark.mart.repository.ExportLedger;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;
import java.util.function.Supplier;

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

    private final QueryPool pool;
    private final MartSwapLock lock;
    private final ChangeLedger changes;
    private final ExportLedger exports;
    private final MartLayout layout;
    private final BreakdownQueries breakdowns;

    public MartQueries(QueryPool pool, MartSwapLock lock, ChangeLedger changes, ExportLedger exports,
            BreakdownQueries breakdowns) {
        this.pool = pool;
        this.breakdowns = breakdowns;
        this.lock = lock;
        this.changes = changes;
        this.exports = exports;
        this.layout = pool.layout();
    }

    /** One day's events and distinct users. */
    private record DayCounts(long events, long users) {
        static final DayCounts NONE = new DayCounts(0, 0);
    }

    public Uni<DailyMetrics> daily(String source, DateRange range, Optional<String> event) {
        return daily(source, range, event, Optional.empty(), 0);
    }

    /** With {@code by}: each day also split by the range's top {@code values} values of that path. */
    public Uni<DailyMetrics> daily(String source, DateRange range, Optional<String> event, Optional<BreakdownPath> by,
            int values) {
        return onPool(() -> {
            requireKnown(source);
            Instant through = exports.exportedThrough(source).orElse(null);
            Lock reading = lock.reading();
            // Totals and breakdown under one read lock: both from the same files, so the buckets add up.
            reading.lock();
            try {
                return dailyOf(source, range, event, by, values, through);
            } finally {
                reading.unlock();
            }
        });
    }

    private DailyMetrics dailyOf(String source, DateRange range, Optional<String> event, Optional<BreakdownPath> by,
            int values, Instant through) {
        Map<LocalDate, DayCounts> counts = new HashMap<>();
        Set<LocalDate> revised = new HashSet<>();
        // The per-day summaries written with each day, one tiny file per day: all events' numbers, and
        // whether they differ from the day's first export. union_by_name and the column check: days
        // summarized before first_events existed have no such column, and are not marked revised.
        String summaries = "SELECT * FROM read_parquet('" + MartSql.quoted(layout.summaryGlob(source))
                + "', hive_partitioning = true, hive_types = {'event_date': DATE}, union_by_name = true)"
                + " WHERE event_date BETWEEN DATE '" + range.from() + "' AND DATE '" + range.to() + "'";
        pool.queryUnderReadLock(source, summaries, List.of(), rows -> {
            boolean hasFirst = hasColumn(rows, "first_events");
            while (rows.next()) {
                LocalDate day = rows.getObject("event_date", LocalDate.class);
                long events = rows.getLong("events");
                long users = rows.getLong("users");
                counts.put(day, new DayCounts(events, users));
                if (hasFirst && rows.getObject("first_events") != null
                        && (events != rows.getLong("first_events") || users != rows.getLong("first_users"))) {
                    revised.add(day);
                }
            }
        });
        if (event.isPresent()) {
            // One event: its rows, from the event files.
            counts.clear();
            String sql = "SELECT event_date, count(*) AS events, count(DISTINCT " + USER + ") AS users FROM "
                    + scan(source) + " WHERE " + days(range.from(), range.to()) + " AND event = ? GROUP BY event_date";
            pool.queryUnderReadLock(source, sql, List.of(event.get()), rows -> {
                while (rows.next()) {
                    counts.put(rows.getObject("event_date", LocalDate.class),
                            new DayCounts(rows.getLong("events"), rows.getLong("users")));
                }
            });
        }
        Map<LocalDate, Breakdown> split = by.isPresent()
                ? breakdowns.perDay(source, range, event, by.get(), values) : Map.of();
        List<DailyMetrics.Day> days = range.from().datesUntil(range.to().plusDays(1)).map(day -> {
            DayCounts c = counts.getOrDefault(day, DayCounts.NONE);
            return new DailyMetrics.Day(day, c.events(), c.users(), revised.contains(day), split.get(day));
        }).toList();
        return new DailyMetrics(source, range.from(), range.to(), through, by.map(BreakdownPath::by).orElse(null),
                days);
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
            AtomicReference<ActiveUsers> result = new AtomicReference<>(new ActiveUsers(date, 0, 0, 0));
            Lock reading = lock.reading();
            // Listing and query under one read lock: a swap in between would leave the list naming gone files.
            reading.lock();
            try {
                Optional<String> userDays = UserDays.select(layout, source, monthStart, date);
                if (userDays.isEmpty()) {
                    return new ActiveUsers(date, 0, 0, 0);
                }
                // One grouping by user instead of three distinct counts: a user is active on the day (or in
                // the week) exactly when the last day it was seen in the 30 days is that day (or in that week).
                String sql = "SELECT count(*) FILTER (WHERE last_seen = DATE '" + date + "') AS dau, "
                        + "count(*) FILTER (WHERE last_seen >= DATE '" + weekStart + "') AS wau, count(*) AS mau "
                        + "FROM (SELECT " + UserKeyHash.COLUMN + ", max(event_date) AS last_seen FROM ("
                        + userDays.get() + ") GROUP BY " + UserKeyHash.COLUMN + ")";
                pool.queryWithReadLockHeld(source, sql, List.of(), rows -> {
                    if (rows.next()) {
                        result.set(new ActiveUsers(date, rows.getLong("dau"), rows.getLong("wau"), rows.getLong("mau")));
                    }
                });
            } finally {
                reading.unlock();
            }
            return result.get();
        });
    }

    public Uni<TopEvents> topEvents(String source, DateRange range, int limit) {
        return topEvents(source, range, limit, Optional.empty(), 0);
    }

    /** With {@code by}: each event also split by its own top {@code values} values of that path. */
    public Uni<TopEvents> topEvents(String source, DateRange range, int limit, Optional<BreakdownPath> by, int values) {
        return onPool(() -> {
            requireKnown(source);
            Lock reading = lock.reading();
            // The events and their breakdowns under one read lock: both from the same files.
            reading.lock();
            try {
                return topEventsOf(source, range, limit, by, values);
            } finally {
                reading.unlock();
            }
        });
    }

    private TopEvents topEventsOf(String source, DateRange range, int limit, Optional<BreakdownPath> by, int values) {
        String sql = "SELECT event, count(*) AS count, count(DISTINCT " + USER + ") AS users FROM " + scan(source)
                + " WHERE " + days(range.from(), range.to()) + " AND event IS NOT NULL"
                + " GROUP BY event ORDER BY count DESC, event LIMIT " + limit;
        List<TopEvents.Event> events = new ArrayList<>();
        pool.queryUnderReadLock(source, sql, List.of(), rows -> {
            while (rows.next()) {
                events.add(new TopEvents.Event(rows.getString("event"), rows.getLong("count"), rows.getLong("users")));
            }
        });
        if (by.isEmpty()) {
            return new TopEvents(events);
        }
        Map<String, Breakdown> split = breakdowns.perEvent(source, range,
                events.stream().map(TopEvents.Event::event).toList(), by.get(), values);
        return new TopEvents(by.get().by(), events.stream()
                .map(e -> new TopEvents.Event(e.event(), e.count(), e.users(), split.get(e.event()))).toList());
    }

    private static boolean hasColumn(java.sql.ResultSet rows, String name) throws java.sql.SQLException {
        for (int i = 1; i <= rows.getMetaData().getColumnCount(); i++) {
            if (rows.getMetaData().getColumnName(i).equals(name)) {
                return true;
            }
        }
        return false;
    }

    private void requireKnown(String source) {
        if (!changes.sourceExists(source)) {
            throw new UnknownSourceException(source);
        }
    }

    private String scan(String source) {
        return MartSql.scan(layout, source);
    }

    private static String days(LocalDate from, LocalDate to) {
        return MartSql.days(from, to);
    }

    /** Queries waiting for a free worker. */
    public int waiting() {
        return pool.waiting();
    }

    private <T> Uni<T> onPool(Supplier<T> work) {
        return pool.submit(work);
    }
}
