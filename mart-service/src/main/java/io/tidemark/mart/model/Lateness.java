package io.tidemark.mart.model;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;

/**
 * How late a source's events arrive: per event day, events by arrival delay (receivedAt - event
 * time) and whether the day is final; for the source, the p99 and p99.9 delays over a window of
 * its latest complete days, which decide finality.
 */
public record Lateness(String source, LocalDate from, LocalDate to, Instant exportedThrough, Window window,
        List<Day> days) {

    /**
     * The days the percentiles were measured over, their events with a known delay, the delays in
     * seconds (null without events) and the delay after a day's end at which it becomes final.
     */
    public record Window(LocalDate from, LocalDate to, int days, long events, Long p99Seconds, Long p999Seconds,
            long finalAfterSeconds) {
    }

    /** One event day: provisional or final, when it is (or becomes) final, and its delay histogram. */
    public record Day(LocalDate date, String status, Instant finalAt, long events, Delays delays) {
    }

    /**
     * Events by delay, each bucket excluding the ones before it: up to 1 hour, over 1 h up to 1 day,
     * up to 3, 7 and 30 days, later; {@code unknown} events have no receivedAt.
     */
    public record Delays(long upTo1h, long upTo1d, long upTo3d, long upTo7d, long upTo30d, long later, long unknown) {
    }
}
