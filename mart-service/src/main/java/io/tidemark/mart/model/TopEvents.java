package io.tidemark.mart.model;

import java.util.List;

/** The most frequent event names of a date range, most frequent first. */
public record TopEvents(List<Event> events) {

    /** One event name: how often it happened and to how many distinct users. */
    public record Event(String event, long count, long users) {
    }
}
