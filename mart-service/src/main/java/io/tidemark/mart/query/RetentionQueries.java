package io.tidemark.mart.query;

import io.smallrye.mutiny.Uni;
import io.tidemark.mart.config.MartConfig;
import io.tidemark.mart.layout.MartLayout;
import io.tidemark.mart.layout.UserKeyHash;
import io.tidemark.mart.model.Retention;
import io.tidemark.mart.repository.ChangeLedger;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.Lock;

/**
 * Cohort retention from the per-day user rollups: each user's first-seen day, then the periods it
 * was active in, one pass of DuckDB over a few hundred KB per day.
 */
@ApplicationScoped
public class RetentionQueries {

    /** A cohort period: a UTC day, or an ISO week (Monday to Sunday, UTC). */
    public enum Period {
        DAY(1), WEEK(7);

        final int days;

        Period(int days) {
            this.days = days;
        }

        /** Parses {@code day} or {@code week}; absent is {@code day}. */
        public static Period parse(String value) {
            if (value == null || value.isBlank()) {
                return DAY;
            }
            return switch (value) {
                case "day" -> DAY;
                case "week" -> WEEK;
                default -> throw new InvalidParameterException("period", "must be 'day' or 'week'");
            };
        }

        LocalDate start(LocalDate day) {
            return this == DAY ? day : day.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
        }

        String json() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final QueryPool pool;
    private final ChangeLedger changes;
    private final MartLayout layout;
    private final MartConfig.Retention config;

    public RetentionQueries(QueryPool pool, ChangeLedger changes, MartConfig config) {
        this.pool = pool;
        this.changes = changes;
        this.layout = pool.layout();
        this.config = config.retention();
    }

    /** The most periods {@code periods} may ask for. */
    public int maxPeriods() {
        return config.maxPeriods();
    }

    public Uni<Retention> retention(String source, DateRange range, Period period, int periods, Optional<String> event) {
        return pool.submit(() -> {
            if (!changes.sourceExists(source)) {
                throw new UnknownSourceException(source);
            }
            LocalDate first = period.start(range.from());
            LocalDate last = period.start(range.to());
            LocalDate cohortsEnd = last.plusDays(period.days - 1);
            LocalDate since = first.minusDays(config.lookbackDays());
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            LocalDate activityEnd = min(cohortsEnd.plusDays((long) periods * period.days), today);
            // cohort start -> [size, active at k = 0..periods]
            Map<LocalDate, long[]> counts = new HashMap<>();
            Lock reading = pool.reading();
            // Listing and query under one read lock: a swap in between would leave the list naming gone files.
            reading.lock();
            try {
                Optional<String> seen = period == Period.WEEK
                        ? UserDays.selectByWeek(layout, source, since, activityEnd)
                        : UserDays.select(layout, source, since, activityEnd);
                if (seen.isPresent()) {
                    String user = UserKeyHash.COLUMN;
                    String firstSeen = event.isEmpty()
                            ? "SELECT " + user + ", min(event_date) AS first_day FROM seen GROUP BY " + user
                            : firstDoneFrom(source, since, cohortsEnd);
                    String trunc = "date_trunc('" + period.json() + "', %s)::DATE";
                    // The cohorts' users are joined to their own activity rows first, so the distinct (user,
                    // period) pairs are counted over the cohorts' rows only, not over every user's.
                    String sql = "WITH seen AS (" + seen.get() + "), "
                            + "firsts AS (" + firstSeen + "), "
                            + "cohort AS (SELECT " + user + ", " + trunc.formatted("first_day") + " AS cohort FROM firsts "
                            + "WHERE first_day BETWEEN DATE '" + first + "' AND DATE '" + cohortsEnd + "') "
                            + "SELECT cohort, -1 AS k, count(*) AS users FROM cohort GROUP BY cohort "
                            + "UNION ALL SELECT c.cohort, datediff('day', c.cohort, " + trunc.formatted("s.event_date") + ") // "
                            + period.days + " AS k, count(DISTINCT s." + user + ") AS users FROM cohort c JOIN seen s ON s."
                            + user + " = c." + user + " AND s.event_date >= c.cohort AND s.event_date < c.cohort + "
                            + (long) (periods + 1) * period.days + " GROUP BY ALL";
                    pool.queryWithReadLockHeld(source, sql, event.map(List::of).orElse(List.of()), rows -> {
                        while (rows.next()) {
                            long[] cohort = counts.computeIfAbsent(rows.getObject("cohort", LocalDate.class),
                                    day -> new long[periods + 2]);
                            cohort[(int) rows.getLong("k") + 1] = rows.getLong("users");
                        }
                    });
                }
            } finally {
                reading.unlock();
            }
            List<Retention.Cohort> cohorts = new ArrayList<>();
            for (LocalDate start = first; !start.isAfter(last); start = start.plusDays(period.days)) {
                long[] cohort = counts.getOrDefault(start, new long[periods + 2]);
                List<Long> active = new ArrayList<>();
                List<Double> share = new ArrayList<>();
                for (int k = 0; k <= periods; k++) {
                    boolean begun = !start.plusDays((long) k * period.days).isAfter(today);
                    active.add(begun ? cohort[k + 1] : null);
                    share.add(!begun ? null : cohort[0] == 0 ? 0.0 : (double) cohort[k + 1] / cohort[0]);
                }
                cohorts.add(new Retention.Cohort(start, cohort[0], active, share));
            }
            return new Retention(source, period.json(), periods, event.orElse(null), since, cohorts);
        });
    }

    /** With a cohort event: the first day each user did it (the bound parameter), from the event files. */
    private String firstDoneFrom(String source, LocalDate since, LocalDate cohortsEnd) {
        return "SELECT " + UserKeyHash.ofEventRow() + " AS " + UserKeyHash.COLUMN + ", min(event_date) AS first_day FROM "
                + MartSql.scan(layout, source) + " WHERE " + MartSql.days(since, cohortsEnd) + " AND event = ? AND "
                + UserKeyHash.USER + " IS NOT NULL GROUP BY 1";
    }

    private static LocalDate min(LocalDate a, LocalDate b) {
        return a.isBefore(b) ? a : b;
    }
}
