package io.tidemark.mart.model;

import java.util.List;

/**
 * Events split by the value at a path ({@code by=}): the most frequent values, every other value
 * together as {@code other}, and events without a value as {@code missing}. The buckets' events add
 * up to all the events split; users are distinct within each bucket, so they need not add up.
 */
public record Breakdown(List<Value> values, Bucket other, Bucket missing) {

    /** One value, as text (numbers and booleans as JSON writes them, objects and arrays as JSON text). */
    public record Value(String value, long events, long users) {
    }

    /** Events and their distinct users. */
    public record Bucket(long events, long users) {
    }
}
