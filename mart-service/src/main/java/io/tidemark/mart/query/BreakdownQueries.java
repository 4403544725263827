package io.tidemark.mart.query;

import io.tidemark.mart.export.BreakdownRollup;
import io.tidemark.mart.layout.MartLayout;
import io.tidemark.mart.layout.UserKeyHash;
import io.tidemark.mart.model.Breakdown;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Breakdowns ({@code by=}) from the event files: events split by the value at a {@link BreakdownPath},
 * the top values by events (ties by value), the rest as other, events without a value as missing.
 * Both methods run on a query worker of {@link QueryPool} that already holds its read lock, so the
 * breakdown and the totals beside it come from the same files.
 */
@ApplicationScoped
public class BreakdownQueries {

    private static final String USER = UserKeyHash.USER;

    private final QueryPool pool;
    private final MartLayout layout;

    public BreakdownQueries(QueryPool pool) {
        this.pool = pool;
        this.layout = pool.layout();
    }

    /**
     * Per day of the range: the range's top {@code values} values, the same ones in the same order
     * every day (zeros where a day has none of a value), so a chart can stack them.
     */
    public Map<LocalDate, Breakdown> perDay(String source, DateRange range, Optional<String> event, BreakdownPath by,
            int values) {
        if (event.isEmpty()) {
            return perDayFromRollups(source, range, by, values);
        }
        List<Object> parameters = new ArrayList<>(by.parameters());
        event.ifPresent(parameters::add);
        parameters.add(values);
        String sql = "WITH ev AS (SELECT event_date, " + USER + " AS u, " + by.expression() + " AS v FROM "
                + MartSql.scan(layout, source) + " WHERE " + MartSql.days(range.from(), range.to())
                + (event.isPresent() ? " AND event = ?" : "") + "), "
                + "top AS (SELECT v, row_number() OVER (ORDER BY count(*) DESC, v) AS rank FROM ev WHERE v IS NOT NULL "
                + "GROUP BY v ORDER BY rank LIMIT ?) "
                + "SELECT ev.event_date, ev.v IS NULL AS missing, top.rank, top.v AS value, count(*) AS events, "
                + "count(DISTINCT ev.u) AS users FROM ev LEFT JOIN top ON ev.v = top.v GROUP BY ALL";
        Map<Long, String> top = new TreeMap<>();
        Map<LocalDate, Map<Long, long[]>> valueCounts = new HashMap<>();
        Map<LocalDate, long[]> other = new HashMap<>();
        Map<LocalDate, long[]> missing = new HashMap<>();
        pool.queryUnderReadLock(source, sql, parameters, rows -> {
            while (rows.next()) {
                LocalDate day = rows.getObject("event_date", LocalDate.class);
                long[] counts = {rows.getLong("events"), rows.getLong("users")};
                Long rank = rank(rows);
                if (rows.getBoolean("missing")) {
                    missing.put(day, counts);
                } else if (rank == null) {
                    other.put(day, counts);
                } else {
                    top.put(rank, rows.getString("value"));
                    valueCounts.computeIfAbsent(day, d -> new HashMap<>()).put(rank, counts);
                }
            }
        });
        Map<LocalDate, Breakdown> days = new HashMap<>();
        range.from().datesUntil(range.to().plusDays(1)).forEach(day -> {
            Map<Long, long[]> counts = valueCounts.getOrDefault(day, Map.of());
            List<Breakdown.Value> dayValues = new ArrayList<>();
            top.forEach((rank, value) -> {
                long[] c = counts.getOrDefault(rank, new long[2]);
                dayValues.add(new Breakdown.Value(value, c[0], c[1]));
            });
            days.put(day, new Breakdown(dayValues, bucket(other.get(day)), bucket(missing.get(day))));
        });
        return days;
    }

    /**
     * The same answer as the event files give, from the days' breakdown rollups: (value, events,
     * users) per day and value, a few rows per day. Days whose rollup does not cover the path (exported
     * before it was configured, or before rollups) are read from their event files. Per-value users
     * are the rollup's exact distinct counts; other is the one bucket whose users a rollup cannot add
     * up (a user may have two of its values on a day), so on a day where other holds two values or
     * more its users are counted from that day's event files.
     */
    private Map<LocalDate, Breakdown> perDayFromRollups(String source, DateRange range, BreakdownPath by, int values) {
        List<String> rollups = new ArrayList<>();
        for (LocalDate day = range.from(); !day.isAfter(range.to()); day = day.plusDays(1)) {
            if (Files.isRegularFile(layout.breakdownRollup(source, day))) {
                rollups.add(layout.breakdownRollup(source, day).toString());
            }
        }
        // day -> value (null = missing) -> {events, users}
        Map<LocalDate, Map<String, long[]>> perValue = new HashMap<>();
        QueryPool.RowsReader collect = rows -> {
            while (rows.next()) {
                perValue.computeIfAbsent(rows.getObject("event_date", LocalDate.class), d -> new HashMap<>())
                        .put(rows.getString("value"), new long[] {rows.getLong("events"), rows.getLong("users")});
            }
        };
        if (!rollups.isEmpty()) {
            pool.queryWithReadLockHeld(source, "SELECT event_date, " + BreakdownRollup.VALUE + " AS value, " + BreakdownRollup.EVENTS
                    + " AS events, " + BreakdownRollup.USERS + " AS users FROM " + MartSql.scan(rollups) + " WHERE "
                    + BreakdownRollup.PATH + " = ?", List.of(by.by()), collect);
        }
        List<LocalDate> uncovered = new ArrayList<>();
        for (LocalDate day = range.from(); !day.isAfter(range.to()); day = day.plusDays(1)) {
            if (!perValue.containsKey(day)) {
                uncovered.add(day);
            }
        }
        eventRows(source, range, by, uncovered).ifPresent(ev -> pool.queryWithReadLockHeld(source, "SELECT event_date, v AS value, "
                + "count(*) AS events, count(DISTINCT u) AS users FROM (" + ev + ") GROUP BY ALL", by.parameters(),
                collect));

        Map<String, Long> totals = new HashMap<>();
        perValue.values().forEach(day -> day.forEach((value, counts) -> {
            if (value != null) {
                totals.merge(value, counts[0], Long::sum);
            }
        }));
        // As the event files' query ranks them: events descending, ties by value in DuckDB's byte order.
        List<String> top = totals.entrySet().stream()
                .sorted(Comparator.<Map.Entry<String, Long>>comparingLong(Map.Entry::getValue).reversed()
                        .thenComparing(Map.Entry::getKey, BreakdownQueries::compareUtf8))
                .limit(values).map(Map.Entry::getKey).toList();
        Set<String> topSet = new HashSet<>(top);

        Map<LocalDate, long[]> other = new HashMap<>();
        List<LocalDate> otherOfSeveralValues = new ArrayList<>();
        perValue.forEach((day, counts) -> {
            long[] sum = new long[2];
            int otherValues = 0;
            for (Map.Entry<String, long[]> value : counts.entrySet()) {
                if (value.getKey() != null && !topSet.contains(value.getKey())) {
                    sum[0] += value.getValue()[0];
                    // Exact when other is this one value; replaced below when it holds several.
                    sum[1] = value.getValue()[1];
                    otherValues++;
                }
            }
            other.put(day, sum);
            if (otherValues > 1) {
                otherOfSeveralValues.add(day);
            }
        });
        if (!otherOfSeveralValues.isEmpty()) {
            List<Object> parameters = new ArrayList<>(by.parameters());
            parameters.addAll(top);
            String notTop = top.isEmpty() ? "" : " AND v NOT IN (" + String.join(", ", Collections.nCopies(top.size(), "?")) + ")";
            eventRows(source, range, by, otherOfSeveralValues).ifPresent(ev -> pool.queryWithReadLockHeld(source,
                    "SELECT event_date, count(DISTINCT u) AS users FROM (" + ev + ") WHERE v IS NOT NULL" + notTop
                            + " GROUP BY event_date", parameters, rows -> {
                                while (rows.next()) {
                                    other.get(rows.getObject("event_date", LocalDate.class))[1] = rows.getLong("users");
                                }
                            }));
        }

        Map<LocalDate, Breakdown> days = new HashMap<>();
        range.from().datesUntil(range.to().plusDays(1)).forEach(day -> {
            // Not Map.of(): its get(null), the missing bucket, throws.
            Map<String, long[]> counts = perValue.getOrDefault(day, Collections.emptyMap());
            List<Breakdown.Value> dayValues = new ArrayList<>();
            for (String value : top) {
                long[] c = counts.getOrDefault(value, new long[2]);
                dayValues.add(new Breakdown.Value(value, c[0], c[1]));
            }
            days.put(day, new Breakdown(dayValues, bucket(other.get(day)), bucket(counts.get(null))));
        });
        return days;
    }

    /**
     * The SELECT of (event_date, u, v) of the event rows of {@code days}, with the path's parameters to
     * bind; empty when none of them has event files. The caller holds the read lock.
     */
    private Optional<String> eventRows(String source, DateRange range, BreakdownPath by, List<LocalDate> days) {
        List<String> files = new ArrayList<>();
        days.forEach(day -> files.addAll(QueryPool.eventFiles(layout.dayDir(source, day))));
        if (files.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("SELECT event_date, " + USER + " AS u, " + by.expression() + " AS v FROM " + MartSql.scan(files)
                + " WHERE " + MartSql.days(range.from(), range.to()));
    }

    /** DuckDB's order of VARCHAR: by the bytes of the UTF-8 text. */
    private static int compareUtf8(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    /** Per named event: its own top {@code values} values in the range. */
    public Map<String, Breakdown> perEvent(String source, DateRange range, List<String> events, BreakdownPath by,
            int values) {
        if (events.isEmpty()) {
            return Map.of();
        }
        List<Object> parameters = new ArrayList<>(by.parameters());
        parameters.addAll(events);
        parameters.add(values);
        parameters.add(values);
        String sql = "WITH ev AS (SELECT event, " + USER + " AS u, " + by.expression() + " AS v FROM "
                + MartSql.scan(layout, source) + " WHERE " + MartSql.days(range.from(), range.to()) + " AND event IN ("
                + String.join(", ", Collections.nCopies(events.size(), "?")) + ")), "
                + "ranked AS (SELECT event, v, row_number() OVER (PARTITION BY event ORDER BY count(*) DESC, v) AS rank "
                + "FROM ev WHERE v IS NOT NULL GROUP BY event, v) "
                + "SELECT ev.event, ev.v IS NULL AS missing, CASE WHEN ranked.rank <= ? THEN ranked.rank END AS rank, "
                + "CASE WHEN ranked.rank <= ? THEN ev.v END AS value, count(*) AS events, count(DISTINCT ev.u) AS users "
                + "FROM ev LEFT JOIN ranked ON ev.event = ranked.event AND ev.v = ranked.v GROUP BY ALL";
        Map<String, TreeMap<Long, Breakdown.Value>> valuesOf = new HashMap<>();
        Map<String, long[]> other = new HashMap<>();
        Map<String, long[]> missing = new HashMap<>();
        pool.queryUnderReadLock(source, sql, parameters, rows -> {
            while (rows.next()) {
                String name = rows.getString("event");
                long[] counts = {rows.getLong("events"), rows.getLong("users")};
                Long rank = rank(rows);
                if (rows.getBoolean("missing")) {
                    missing.put(name, counts);
                } else if (rank == null) {
                    other.put(name, counts);
                } else {
                    valuesOf.computeIfAbsent(name, n -> new TreeMap<>())
                            .put(rank, new Breakdown.Value(rows.getString("value"), counts[0], counts[1]));
                }
            }
        });
        Map<String, Breakdown> result = new HashMap<>();
        for (String name : events) {
            result.put(name, new Breakdown(List.copyOf(valuesOf.getOrDefault(name, new TreeMap<>()).values()),
                    bucket(other.get(name)), bucket(missing.get(name))));
        }
        return result;
    }

    private static Long rank(ResultSet rows) throws SQLException {
        long rank = rows.getLong("rank");
        return rows.wasNull() ? null : rank;
    }

    private static Breakdown.Bucket bucket(long[] counts) {
        return counts == null ? new Breakdown.Bucket(0, 0) : new Breakdown.Bucket(counts[0], counts[1]);
    }
}
