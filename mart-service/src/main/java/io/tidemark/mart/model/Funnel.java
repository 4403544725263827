package io.tidemark.mart.model;

import java.time.LocalDate;
import java.util.List;

/** Users who did ordered steps within a window of their first step, per step, with conversion and time between steps. */
public record Funnel(String source, LocalDate from, LocalDate to, long withinSeconds, List<Step> steps) {

    /**
     * One step: the users who reached it, their share of the previous step's and of the first step's
     * users (null for the first step, or when the base is zero), and the median seconds from the
     * previous step (null for the first step or when nobody reached it).
     */
    public record Step(int number, String event, long users, Double conversionFromPrevious, Double conversionFromStart,
            Double medianSecondsFromPrevious) {
    }
}
