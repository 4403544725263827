package io.tidemark.mart.model;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;

/**
 * Events and distinct users per UTC event day of one source; {@code exportedThrough} is the time
 * through which every stored change is in the marts (null before the first export).
 */
public record DailyMetrics(String source, LocalDate from, LocalDate to, Instant exportedThrough, List<Day> days) {

    /**
     * One day: events counted once each, users = distinct userId, else anonymousId; {@code revised}:
     * the day's numbers (all events, whatever {@code event} asks) changed since its first export.
     */
    public record Day(LocalDate date, long events, long users, boolean revised) {
    }
}
