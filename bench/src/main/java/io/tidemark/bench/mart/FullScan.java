package io.tidemark.bench.mart;

import java.time.LocalDate;

/**
 * The baselines: each dashboard question answered from every event file of the source, with no
 * Hive keys, no rollups and a day test (strftime of event_time) that neither partitions nor row-group
 * statistics can prune; users as userId, else anonymousId, in plain text rather than the mart's hash.
 */
final class FullScan {

    private final String glob;

    FullScan(String glob) {
        this.glob = glob;
    }

    private String events() {
        return "(SELECT *, strftime(event_time, '%Y-%m-%d') AS d, coalesce(user_id, anonymous_id) AS k "
                + "FROM read_parquet('" + glob + "', hive_partitioning = false))";
    }

    private static String days(LocalDate from, LocalDate to) {
        return "d BETWEEN '" + from + "' AND '" + to + "'";
    }

    /** DAU, WAU and MAU of {@code date} packed as dau·10¹² + wau·10⁶ + mau, the API's SQL shape minus pruning. */
    String activeUsers(LocalDate date) {
        return "SELECT count(*) FILTER (WHERE last_seen = '" + date + "') * 1000000000000 "
                + "+ count(*) FILTER (WHERE last_seen >= '" + date.minusDays(6) + "') * 1000000 + count(*) "
                + "FROM (SELECT k, max(d) AS last_seen FROM " + events() + " WHERE " + days(date.minusDays(29), date)
                + " GROUP BY k)";
    }

    String daily(LocalDate from, LocalDate to) {
        return "SELECT sum(events) FROM (SELECT d, count(*) AS events, count(DISTINCT k) AS users FROM " + events()
                + " WHERE " + days(from, to) + " GROUP BY d)";
    }

    /** Per day, events by the lateness API's delay buckets (0 = up to 1 h … 5 = over 30 days): rows d, bucket, events. */
    String lateness(LocalDate from, LocalDate to) {
        String delay = "(epoch_ms(received_at) - epoch_ms(event_time))";
        return "SELECT d, CASE WHEN " + delay + " <= 3600000 THEN 0 WHEN " + delay + " <= 86400000 THEN 1 "
                + "WHEN " + delay + " <= 259200000 THEN 2 WHEN " + delay + " <= 604800000 THEN 3 "
                + "WHEN " + delay + " <= 2592000000 THEN 4 ELSE 5 END AS bucket, count(*) AS events FROM " + events()
                + " WHERE " + days(from, to) + " AND received_at IS NOT NULL GROUP BY ALL ORDER BY ALL";
    }

    /** A day's events and distinct users, what the revisions API says it serves now. */
    String dayNumbers(LocalDate day) {
        return "SELECT count(*) || ',' || count(DISTINCT k) FROM " + events() + " WHERE " + days(day, day);
    }

    /**
     * Weekly retention as the API defines it, from the events: first-seen day from {@code since},
     * ISO-week cohorts from {@code first} through {@code cohortsEnd}, activity k weeks later for
     * k = 0..periods. Rows: cohort, k (-1 = the cohort's users), users.
     */
    String weeklyRetention(LocalDate since, LocalDate first, LocalDate cohortsEnd, LocalDate activityEnd, int periods) {
        return "WITH seen AS (SELECT DISTINCT k, CAST(event_time AS DATE) AS day FROM " + events() + " WHERE "
                + days(since, activityEnd) + " AND k IS NOT NULL), "
                + "firsts AS (SELECT k, min(day) AS first_day FROM seen GROUP BY k), "
                + "cohort AS (SELECT k, date_trunc('week', first_day)::DATE AS cohort FROM firsts "
                + "WHERE first_day BETWEEN DATE '" + first + "' AND DATE '" + cohortsEnd + "'), "
                + "active AS (SELECT DISTINCT k, date_trunc('week', day)::DATE AS period FROM seen) "
                + "SELECT cohort, -1 AS k, count(*) AS users FROM cohort GROUP BY cohort "
                + "UNION ALL SELECT c.cohort, datediff('day', c.cohort, a.period) // 7 AS k, count(*) AS users "
                + "FROM cohort c JOIN active a ON a.k = c.k AND a.period >= c.cohort "
                + "AND a.period <= c.cohort + " + 7 * periods + " GROUP BY ALL ORDER BY ALL";
    }

    /**
     * A 3-step funnel, the API's greedy rule: step 1 a user's first {@code steps[0]} in [from, to],
     * each next step its first event of that name after the previous step and within a day of step 1.
     * One row: users at step 1, 2 and 3, comma-separated.
     */
    String funnel(LocalDate from, LocalDate to, String[] steps) {
        String end = "TIMESTAMPTZ '" + to.plusDays(1) + " 00:00:00+00'";
        return "WITH ev AS (SELECT k AS u, event, event_time FROM " + events() + " WHERE " + days(from, to.plusDays(1))
                + " AND k IS NOT NULL AND event IN ('" + String.join("', '", steps) + "')), "
                + "s1 AS (SELECT u, min(event_time) AS t FROM ev WHERE event = '" + steps[0] + "' AND event_time < " + end
                + " GROUP BY u), "
                + "s2 AS (SELECT p.u, min(e.event_time) AS t, p.t AS start FROM s1 p JOIN ev e ON e.u = p.u AND e.event = '"
                + steps[1] + "' AND e.event_time > p.t AND e.event_time <= p.t + INTERVAL 1 DAY GROUP BY p.u, p.t), "
                + "s3 AS (SELECT p.u FROM s2 p JOIN ev e ON e.u = p.u AND e.event = '" + steps[2]
                + "' AND e.event_time > p.t AND e.event_time <= p.start + INTERVAL 1 DAY GROUP BY p.u) "
                + "SELECT (SELECT count(*) FROM s1) || ',' || (SELECT count(*) FROM s2) || ',' || (SELECT count(*) FROM s3)";
    }

    /** Events per day and value of a properties key (NULL = missing): rows d, value, events, users. */
    String breakdown(LocalDate from, LocalDate to, String key) {
        return "SELECT d, json_extract_string(properties, '$.\"" + key + "\"') AS value, count(*) AS events, "
                + "count(DISTINCT k) AS users FROM " + events() + " WHERE " + days(from, to) + " GROUP BY ALL ORDER BY ALL";
    }
}
