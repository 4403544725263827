package io.tidemark.mart.query;

import io.tidemark.mart.export.MartLayout;
import io.tidemark.mart.export.UserKeyHash;
import io.tidemark.mart.model.Breakdown;
import jakarta.enterprise.context.ApplicationScoped;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
        pool.query(source, sql, parameters, rows -> {
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
        pool.query(source, sql, parameters, rows -> {
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
