package io.tidemark.mart.model;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;

/**
 * Events and distinct users per UTC event day of one source; {@code exportedThrough} is the time
 * through which every stored change is in the marts (null before the first export). With {@code by},
 * each day also has its events split by that path's values.
 */
public record DailyMetrics(String source, LocalDate from, LocalDate to, Instant exportedThrough,
        @JsonInclude(JsonInclude.Include.NON_NULL) String by, List<Day> days) {

    public DailyMetrics(String source, LocalDate from, LocalDate to, Instant exportedThrough, List<Day> days) {
        this(source, from, to, exportedThrough, null, days);
    }

    /**
     * One day: events counted once each, users = distinct userId, else anonymousId; {@code revised}:
     * the day's numbers (all events, whatever {@code event} asks) changed since its first export;
     * {@code breakdown}: with {@code by} only, the range's top values (the same ones, in the same
     * order, every day, zeros included), other and missing.
     */
    public record Day(LocalDate date, long events, long users, boolean revised,
            @JsonInclude(JsonInclude.Include.NON_NULL) Breakdown breakdown) {

        public Day(LocalDate date, long events, long users, boolean revised) {
            this(date, events, users, revised, null);
        }
    }
}
