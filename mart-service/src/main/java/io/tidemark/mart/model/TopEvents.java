package io.tidemark.mart.model;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/** The most frequent event names of a date range, most frequent first; with {@code by}, each split by its values. */
public record TopEvents(@JsonInclude(JsonInclude.Include.NON_NULL) String by, List<Event> events) {

    public TopEvents(List<Event> events) {
        this(null, events);
    }

    /** One event name: how often it happened and to how many distinct users; with {@code by}, its own top values. */
    public record Event(String event, long count, long users,
            @JsonInclude(JsonInclude.Include.NON_NULL) Breakdown breakdown) {

        public Event(String event, long count, long users) {
            this(event, count, users, null);
        }
    }
}
