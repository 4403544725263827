package io.tidemark.mart.export;

/**
 * The per-day arrival-delay histogram written beside a day's events: one row per delay bound, the
 * events whose delay (received_at - event_time) rounds up to it. The grid is fine enough for the
 * percentiles the finality rule needs and coarse enough to stay a few hundred rows: whole minutes up
 * to an hour, quarter hours up to a day, hours up to 30 days, days beyond. 1 h, 1 d, 3 d, 7 d and
 * 30 d are grid points, so the API's coarse buckets are exact sums of rows.
 */
public final class LatenessRollup {

    /** The upper bound of a row's delays, in seconds; NULL for events without a received_at. */
    public static final String BOUND = "delay_bound_seconds";

    /** The row's events. */
    public static final String EVENTS = "events";

    private static final String DELAY_MS = "(epoch_ms(received_at) - epoch_ms(event_time))";

    private LatenessRollup() {
    }

    /**
     * The bound of an event row's delay. Rounding up, never down: a percentile read from the grid
     * is never shorter than the true one, so a day is never called final early. A delay at or below
     * zero (a clock that ran ahead of ingest's) counts as on time.
     */
    public static String boundOfEventRow() {
        return "(CASE WHEN received_at IS NULL THEN NULL"
                + " WHEN " + DELAY_MS + " <= 0 THEN 0"
                + " WHEN " + DELAY_MS + " <= 3600000 THEN ceil(" + DELAY_MS + " / 60000.0) * 60"
                + " WHEN " + DELAY_MS + " <= 86400000 THEN ceil(" + DELAY_MS + " / 900000.0) * 900"
                + " WHEN " + DELAY_MS + " <= 2592000000 THEN ceil(" + DELAY_MS + " / 3600000.0) * 3600"
                + " ELSE ceil(" + DELAY_MS + " / 86400000.0) * 86400 END)::BIGINT";
    }

    /** The rollup of the event rows of {@code rows} (a table or a read_parquet call). */
    static String selectFrom(String rows) {
        return "SELECT " + boundOfEventRow() + " AS " + BOUND + ", count(*)::BIGINT AS " + EVENTS + " FROM " + rows
                + " GROUP BY ALL ORDER BY " + BOUND + " NULLS LAST";
    }
}
