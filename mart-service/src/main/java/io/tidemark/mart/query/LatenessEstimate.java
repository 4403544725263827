package io.tidemark.mart.query;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

/**
 * The delays within which 99 % and 99.9 % of a source's events arrived, from the rows of its
 * lateness rollups, and the finality rule built on the second one.
 */
public record LatenessEstimate(long events, Optional<Long> p99Seconds, Optional<Long> p999Seconds) {

    /** One rollup row: {@code events} whose delay rounds up to {@code boundSeconds}. */
    public record Bucket(long boundSeconds, long events) {
    }

    /** From rollup rows in ascending bound order; empty percentiles when there are no events. */
    public static LatenessEstimate of(List<Bucket> ascending) {
        long total = ascending.stream().mapToLong(Bucket::events).sum();
        return new LatenessEstimate(total, percentile(ascending, total, 99, 100), percentile(ascending, total, 999, 1000));
    }

    /**
     * The smallest bound under which at least {@code share / of} of the events lie; integer
     * arithmetic, so 99.9 % of 1,000 events is exactly 999 of them.
     */
    private static Optional<Long> percentile(List<Bucket> ascending, long total, long share, long of) {
        if (total == 0) {
            return Optional.empty();
        }
        long seen = 0;
        for (Bucket bucket : ascending) {
            seen += bucket.events();
            if (seen * of >= total * share) {
                return Optional.of(bucket.boundSeconds());
            }
        }
        throw new IllegalStateException("the buckets do not add up to their total");
    }

    /** How long after its end a day is final: the p99.9 delay, or {@code fallback} without one. */
    public Duration finalAfter(Duration fallback) {
        return p999Seconds.map(Duration::ofSeconds).orElse(fallback);
    }

    /** The end of a UTC day: the next day's midnight. */
    public static Instant endOf(LocalDate day) {
        return day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    /**
     * A day is final once every change stored before its end plus {@code finalAfter} is exported:
     * then all but the latest 0.1 % of its events, by the window's experience, are in its files.
     * {@code exportedThrough} (not the clock) is what matters, since numbers not yet exported are
     * not in any answer; it is never later than now.
     */
    public static boolean isFinal(LocalDate day, Instant exportedThrough, Duration finalAfter) {
        return exportedThrough != null && exportedThrough.isAfter(endOf(day).plus(finalAfter));
    }
}
