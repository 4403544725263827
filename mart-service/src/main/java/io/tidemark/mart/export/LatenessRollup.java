package io.tidemark.mart.export;

import io.tidemark.mart.model.HourRange;
import org.duckdb.DuckDBConnection;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The per-day arrival-delay histogram written beside a day's events: one row per UTC hour of event
 * time and delay bound, the events of that hour whose delay (received_at - event_time) rounds up to
 * it. The grid is fine enough for the percentiles the finality rule needs and coarse enough to stay a
 * few thousand rows: whole minutes up to an hour, quarter hours up to a day, hours up to 30 days, days
 * beyond. 1 h, 1 d, 3 d, 7 d and 30 d are grid points, so the API's coarse buckets are exact sums of rows.
 *
 * <p>Why per hour: counts add up, so after a late event only the hours of the slices read again are
 * counted from rows; the other hours keep their rows of the rollup in place ({@link #merge}), and a
 * late slice no longer reads the whole day's files for it. Readers sum over the hours. Rollups written
 * before the hour column have none ({@link #hasHours}): readers read them by column name, and the
 * next export of such a day counts it whole.
 */
public final class LatenessRollup {

    /** The UTC hour of the row's event time, 0 to 23. */
    public static final String HOUR = "event_hour";

    /** The upper bound of a row's delays, in seconds; NULL for events without a received_at. */
    public static final String BOUND = "delay_bound_seconds";

    /** The row's events. */
    public static final String EVENTS = "events";

    private static final String DELAY_MS = "(epoch_ms(received_at) - epoch_ms(event_time))";
    private static final String DELAY = "delay_ms";
    private static final String ORDERED = " ORDER BY " + HOUR + ", " + BOUND + " NULLS LAST";

    private LatenessRollup() {
    }

    /**
     * The bound of an event row's delay. Rounding up, never down: a percentile read from the grid
     * is never shorter than the true one, so a day is never called final early. A delay at or below
     * zero (a clock that ran ahead of ingest's) counts as on time.
     */
    public static String boundOfEventRow() {
        return boundOf(DELAY_MS);
    }

    /**
     * The bound of {@code delayMs}, an integer expression of milliseconds, NULL without a received_at.
     * Whole-number arithmetic: the same bounds as ceil() of a division in doubles (a delay is a whole
     * number of milliseconds, so no quotient is near enough to a whole number for a double to round it
     * there), at about two thirds of the time (the rollup of 5 M rows: 124 ms against 189).
     */
    private static String boundOf(String delayMs) {
        return "(CASE WHEN " + delayMs + " IS NULL THEN NULL"
                + " WHEN " + delayMs + " <= 0 THEN 0"
                + " WHEN " + delayMs + " <= 3600000 THEN " + roundedUp(delayMs, 60)
                + " WHEN " + delayMs + " <= 86400000 THEN " + roundedUp(delayMs, 900)
                + " WHEN " + delayMs + " <= 2592000000 THEN " + roundedUp(delayMs, 3600)
                + " ELSE " + roundedUp(delayMs, 86400) + " END)::BIGINT";
    }

    /** A positive {@code delayMs} rounded up to whole steps of {@code stepSeconds}, in seconds. */
    private static String roundedUp(String delayMs, long stepSeconds) {
        long stepMs = stepSeconds * 1000;
        return "((" + delayMs + " + " + (stepMs - 1) + ") // " + stepMs + ") * " + stepSeconds;
    }

    /** The rollup of the event rows of {@code rows} (a table or a read_parquet call). */
    static String selectFrom(String rows) {
        return countsOf(rows) + ORDERED;
    }

    /**
     * The rollup of a day whose hour slices {@code reread} were read again into {@code rows}: the rows
     * of the other hours from {@code before}, the rollup in place, and the counts of the rows read.
     * Right because a slice read again holds every row of its hours, old and new (dedup only ever
     * adds rows to a day), and none of the others.
     */
    static String merge(Path before, List<HourRange> reread, String rows) {
        return "SELECT * FROM (SELECT " + HOUR + ", " + BOUND + ", " + EVENTS + " FROM read_parquet('"
                + DayExporter.literal(before) + "') WHERE " + hoursOutside(reread) + " UNION ALL " + countsOf(rows) + ")"
                + ORDERED;
    }

    /** The SQL condition that a row's {@link #HOUR} is in none of {@code slices}: the hours a merge keeps. */
    static String hoursOutside(List<HourRange> slices) {
        return String.join(" AND ", slices.stream()
                .map(slice -> "NOT (" + HOUR + " >= " + slice.from() + " AND " + HOUR + " < " + slice.to() + ")").toList());
    }

    /** Whether {@code rollup} is a rollup by hour; rollups written before the hour column are not. */
    static boolean hasHours(DuckDBConnection duck, Path rollup) throws SQLException {
        if (!Files.isRegularFile(rollup)) {
            return false;
        }
        try (Statement sql = duck.createStatement(); ResultSet columns = sql.executeQuery("SELECT count(*) FROM "
                + "parquet_schema('" + DayExporter.literal(rollup) + "') WHERE name = '" + HOUR + "'")) {
            columns.next();
            return columns.getLong(1) > 0;
        }
    }

    /** The SQL expression of the UTC hour of an event row's event time, 0 to 23. */
    public static String hourOfEventRow() {
        // Whole days since the epoch are whole hours, so the hour of the UTC day needs no time zone.
        return "(epoch_ms(event_time) // 3600000 % 24)::TINYINT";
    }

    /** Each row's delay is computed once, not once for each branch of the bound that tests it. */
    private static String countsOf(String rows) {
        return "SELECT " + HOUR + ", " + boundOf(DELAY) + " AS " + BOUND + ", count(*)::BIGINT AS " + EVENTS
                + " FROM (SELECT " + hourOfEventRow() + " AS " + HOUR + ", " + DELAY_MS + " AS " + DELAY + " FROM "
                + rows + ") GROUP BY ALL";
    }
}
