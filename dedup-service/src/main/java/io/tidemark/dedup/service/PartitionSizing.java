package io.tidemark.dedup.service;

import io.tidemark.event.EventIndexLayout;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * How many index buckets a (source, day) needs, from the bytes stored for it so far and the rate
 * they grow at. Pure arithmetic, so the bound it keeps can be tested on its own.
 *
 * <p>The bound: a day grows to more buckets as soon as what it is projected to hold would put more
 * than a quarter of {@code target} into each of its buckets, and the new count is sized for the rest
 * of the day at the present rate. Rows already written stay where they are (the lower buckets), so
 * each layout a day goes through adds at most a quarter of the target to any bucket; sizing for the
 * whole remaining day keeps the number of layouts to two or three even for a source that starts at a
 * billion events a day, so no bucket reaches the target.
 */
public final class PartitionSizing {

    private final long quarterTarget;
    private final Duration pastDayHorizon;

    /**
     * @param targetBytes    what a partition should stay under
     * @param pastDayHorizon how far ahead a past day (late events, a bulk load) is projected at its rate
     */
    public PartitionSizing(long targetBytes, Duration pastDayHorizon) {
        if (targetBytes < 4) {
            throw new IllegalArgumentException("partition target must be at least 4 bytes: " + targetBytes);
        }
        this.quarterTarget = targetBytes / 4;
        this.pastDayHorizon = pastDayHorizon;
    }

    /**
     * The buckets {@code day} should have now: {@code current} while the projection fits, else a larger
     * power of two (at least twice {@code current}, at most {@link EventIndexLayout#MAX_BUCKETS}).
     *
     * @param storedBytes    bytes stored for the day so far
     * @param bytesPerSecond the rate they grew at lately (0 when not known yet)
     */
    public int bucketsFor(int current, long storedBytes, double bytesPerSecond, LocalDate day, Instant now) {
        if (current >= EventIndexLayout.MAX_BUCKETS) {
            return current;
        }
        double projected = storedBytes + Math.max(0, bytesPerSecond) * horizon(day, now).toSeconds();
        if (projected <= (double) current * quarterTarget) {
            return current;
        }
        long needed = (long) Math.ceil(projected / quarterTarget);
        long buckets = Math.max((long) current * 2, nextPowerOfTwo(needed));
        return (int) Math.min(EventIndexLayout.MAX_BUCKETS, buckets);
    }

    private static long nextPowerOfTwo(long n) {
        return n <= 1 ? 1 : Long.highestOneBit(n - 1) << 1;
    }

    /** Until the day's end for today or a day to come (devices with clocks ahead), at least the past-day horizon. */
    Duration horizon(LocalDate day, Instant now) {
        Instant end = day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        Duration left = Duration.between(now, end);
        return left.compareTo(pastDayHorizon) > 0 ? left : pastDayHorizon;
    }
}
