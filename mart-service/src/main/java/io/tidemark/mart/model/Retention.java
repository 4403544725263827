package io.tidemark.mart.model;

import java.time.LocalDate;
import java.util.List;

/**
 * Cohorts of users by the period they were first seen in, and how many of each were active k
 * periods later; {@code firstSeenSince} is the first day searched for a user's earlier activity.
 */
public record Retention(String source, String period, int periods, String event, LocalDate firstSeenSince,
        List<Cohort> cohorts) {

    /**
     * One cohort: its period's first day, its users, and for k = 0..periods the users active in the
     * k-th period after it and their share of the cohort; null for a period that has not begun.
     */
    public record Cohort(LocalDate start, long users, List<Long> active, List<Double> share) {
    }
}
