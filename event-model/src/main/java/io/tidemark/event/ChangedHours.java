package io.tidemark.event;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The hours of a (source, UTC day) that changed, as dedup marks them in {@code tidemark.day_changes}
 * and mart reads them: a counter column per hour of event time ({@code h00} .. {@code h23}), so
 * mart can export again only the hours a late event touched. Writers and readers must agree on the
 * column names and on the hour of an event time, which is why this lives here.
 */
public final class ChangedHours {

    public static final int HOURS = 24;

    private static final List<String> COLUMNS;

    static {
        List<String> columns = new ArrayList<>(HOURS);
        for (int hour = 0; hour < HOURS; hour++) {
            columns.add(String.format(Locale.ROOT, "h%02d", hour));
        }
        COLUMNS = List.copyOf(columns);
    }

    private ChangedHours() {
    }

    /** The UTC hour of the day (0 .. 23) of an event time. */
    public static int hourOf(Instant eventTime) {
        return (int) (Math.floorMod(eventTime.getEpochSecond(), 86_400L) / 3_600);
    }

    /** The mask bit of an event time's hour. */
    public static int maskOf(Instant eventTime) {
        return 1 << hourOf(eventTime);
    }

    /** The counter column of an hour. */
    public static String column(int hour) {
        return COLUMNS.get(hour);
    }

    /** Every hour column, in hour order. */
    public static List<String> columns() {
        return COLUMNS;
    }
}
