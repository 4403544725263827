package io.tidemark.mart.model;

import java.time.LocalDate;
import java.util.List;

/** Events and distinct users per UTC event day of one source. */
public record DailyMetrics(String source, LocalDate from, LocalDate to, List<Day> days) {

    /** One day: events counted once each, users = distinct userId, else anonymousId. */
    public record Day(LocalDate date, long events, long users) {
    }
}
