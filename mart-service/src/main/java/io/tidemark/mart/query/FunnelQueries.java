package io.tidemark.mart.query;

import io.smallrye.mutiny.Uni;
import io.tidemark.mart.config.MartConfig;
import io.tidemark.mart.layout.MartLayout;
import io.tidemark.mart.layout.UserKeyHash;
import io.tidemark.mart.model.Funnel;
import io.tidemark.mart.repository.ChangeLedger;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Funnels from the event files: per user, the first step-1 event in the range, then each next step's
 * first event strictly after the previous step's and within {@code within} of step 1.
 */
@ApplicationScoped
public class FunnelQueries {

    private static final Pattern WITHIN = Pattern.compile("([1-9][0-9]{0,5})([mhd])");
    private static final int MAX_EVENT_NAME = 200;
    private static final long SECONDS_PER_DAY = 86400;

    private final QueryPool pool;
    private final ChangeLedger changes;
    private final MartLayout layout;
    private final MartConfig.Funnel config;

    public FunnelQueries(QueryPool pool, ChangeLedger changes, MartConfig config) {
        this.pool = pool;
        this.changes = changes;
        this.layout = pool.layout();
        this.config = config.funnel();
    }

    /** Parses {@code steps=A,B,C}: 2 to max-steps event names, none blank. */
    public List<String> steps(String value) {
        if (value == null || value.isBlank()) {
            throw new InvalidParameterException("steps", "is required: event names separated by commas, such as A,B,C");
        }
        List<String> steps = Arrays.stream(value.split(",", -1)).map(String::trim).toList();
        if (steps.size() < 2 || steps.size() > config.maxSteps()) {
            throw new InvalidParameterException("steps", "must name 2 to " + config.maxSteps() + " events");
        }
        for (String step : steps) {
            if (step.isEmpty() || step.length() > MAX_EVENT_NAME) {
                throw new InvalidParameterException("steps", "each step must be an event name of 1 to " + MAX_EVENT_NAME
                        + " characters");
            }
        }
        return steps;
    }

    /** Parses {@code within}: a whole number of minutes, hours or days (30m, 12h, 1d), at most max-within. */
    public Duration within(String value) {
        Matcher match = value == null ? null : WITHIN.matcher(value.trim());
        if (match == null || !match.matches()) {
            throw new InvalidParameterException("within", "must be a number of minutes, hours or days, such as 30m, 12h or 1d");
        }
        long amount = Long.parseLong(match.group(1));
        Duration within = switch (match.group(2)) {
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofDays(amount);
        };
        if (within.compareTo(config.maxWithin()) > 0) {
            throw new InvalidParameterException("within", "must be at most " + config.maxWithin().toDays() + " days");
        }
        return within;
    }

    /**
     * Step 1 must fall in [from, to]; later steps may run past {@code to} up to {@code within} after
     * step 1, so a funnel begun late on {@code to} is not cut short.
     */
    public Uni<Funnel> funnel(String source, DateRange range, List<String> steps, Duration within) {
        return pool.submit(() -> {
            if (!changes.sourceExists(source)) {
                throw new UnknownSourceException(source);
            }
            long seconds = within.toSeconds();
            long extraDays = (seconds + SECONDS_PER_DAY - 1) / SECONDS_PER_DAY;
            List<Object> parameters = new ArrayList<>(steps);
            StringBuilder sql = new StringBuilder("WITH ev AS (SELECT " + UserKeyHash.USER + " AS u, event, event_time FROM "
                    + MartSql.scan(layout, source) + " WHERE " + MartSql.days(range.from(), range.to().plusDays(extraDays))
                    + " AND " + UserKeyHash.USER + " IS NOT NULL AND event IN ("
                    + String.join(", ", Collections.nCopies(steps.size(), "?")) + ")), ");
            sql.append("s1 AS (SELECT u, min(event_time) AS t, min(event_time) AS start FROM ev WHERE event = ? "
                    + "AND event_time < TIMESTAMPTZ '").append(range.to().plusDays(1)).append(" 00:00:00+00' GROUP BY u)");
            parameters.add(steps.get(0));
            for (int i = 2; i <= steps.size(); i++) {
                // Strictly after the previous step, within the window of step 1.
                sql.append(", s").append(i).append(" AS (SELECT p.u, min(e.event_time) AS t, p.start FROM s").append(i - 1)
                        .append(" p JOIN ev e ON e.u = p.u AND e.event = ? AND e.event_time > p.t AND e.event_time <= p.start + to_seconds(")
                        .append(seconds).append(") GROUP BY p.u, p.start)");
                parameters.add(steps.get(i - 1));
            }
            sql.append(" SELECT (SELECT count(*) FROM s1) AS users1");
            for (int i = 2; i <= steps.size(); i++) {
                sql.append(", (SELECT count(*) FROM s").append(i).append(") AS users").append(i)
                        .append(", (SELECT median(epoch(c.t) - epoch(p.t)) FROM s").append(i).append(" c JOIN s").append(i - 1)
                        .append(" p USING (u)) AS median").append(i);
            }
            long[] users = new long[steps.size() + 1];
            Double[] medians = new Double[steps.size() + 1];
            pool.queryUnderReadLock(source, sql.toString(), parameters, rows -> {
                if (rows.next()) {
                    for (int i = 1; i <= steps.size(); i++) {
                        users[i] = rows.getLong("users" + i);
                        if (i > 1) {
                            double median = rows.getDouble("median" + i);
                            medians[i] = rows.wasNull() ? null : median;
                        }
                    }
                }
            });
            List<Funnel.Step> result = new ArrayList<>();
            for (int i = 1; i <= steps.size(); i++) {
                result.add(new Funnel.Step(i, steps.get(i - 1), users[i], i == 1 ? null : share(users[i], users[i - 1]),
                        i == 1 ? null : share(users[i], users[1]), medians[i]));
            }
            return new Funnel(source, range.from(), range.to(), seconds, result);
        });
    }

    private static Double share(long part, long whole) {
        return whole == 0 ? null : (double) part / whole;
    }
}
