package io.tidemark.mart.model;

import io.tidemark.event.ChangedHours;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/** The UTC hours {@code from} (inclusive) to {@code to} (exclusive) of a day: the slice of a day a part file holds. */
public record HourRange(int from, int to) {

    public static final int HOURS = ChangedHours.HOURS;
    public static final HourRange WHOLE_DAY = new HourRange(0, HOURS);

    public HourRange {
        if (from < 0 || to > HOURS || from >= to) {
            throw new IllegalArgumentException("not a range of hours of a day: " + from + ".." + to);
        }
    }

    /** Whether any hour of the {@link ChangedHours} mask falls in this range. */
    public boolean touches(int hourMask) {
        int mine = ((1 << to) - 1) & ~((1 << from) - 1);
        return (mine & hourMask) != 0;
    }

    public Instant start(LocalDate day) {
        return day.atStartOfDay(ZoneOffset.UTC).plusHours(from).toInstant();
    }

    public Instant end(LocalDate day) {
        return day.atStartOfDay(ZoneOffset.UTC).plusHours(to).toInstant();
    }

    @Override
    public String toString() {
        return String.format("%02d-%02d", from, to);
    }
}
