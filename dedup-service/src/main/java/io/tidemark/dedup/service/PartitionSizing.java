package io.tidemark.dedup.service;

import io.tidemark.event.EventIndexLayout;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * How many index buckets a (source, day) needs, and how finely its event time is sliced, from the
 * bytes stored for it so far and the rate they grow at. Pure arithmetic, so the bound it keeps can be
 * tested on its own.
 *
 * <p>The bound: a day grows to more buckets as soon as what it is projected to hold would put more
 * than a quarter of {@code target} into each of its buckets, and the new count is sized for the rest
 * of the day at the present rate. Rows already written stay where they are, so each layout a day goes
 * through adds at most about a quarter of the target to any bucket; sizing for the whole remaining day
 * keeps the number of layouts to a handful even for a source that starts at a billion events a day
 * with a rate that climbs all morning.
 * The quarter also leaves room for a busy hour: a slice of the day holds the events of its own minutes,
 * and the busiest hour of a web day has about three times the average.
 *
 * <p>Slices: past 8 buckets a slice needs, the day is cut into the finest slices (an hour down to a
 * minute) that still leave 8 hash buckets in each. A dedup batch holds events that arrived together,
 * whose event times are close, so it writes a few partitions of one slice instead of one row into each
 * of thousands of partitions, and its rows are still written as a few batches.
 */
public final class PartitionSizing {

    /**
     * Slices a layout may cut a day into, finest first; each divides a day. Close steps, so that the
     * finest slicing that fits has 8 to 16 hash buckets in a slice, not a hundred.
     */
    private static final int[] SLICE_SECONDS = {60, 120, 300, 600, 1_200, 3_600};
    /** Hash buckets a slice has at least, so that one slice's writes spread over several nodes. */
    private static final int BUCKETS_PER_SLICE = 8;

    /** A layout's shape: slices of the day and buckets in all (a multiple of the slice count). */
    public record Shape(int sliceSeconds, int buckets) {
        public static final Shape ORIGINAL = new Shape(EventIndexLayout.WHOLE_DAY_SECONDS, EventIndexLayout.ORIGINAL_BUCKETS);
    }

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
     * The shape {@code day} should have now: {@code current} while the projection fits, else one with at
     * least twice as many buckets (at most {@link EventIndexLayout#MAX_BUCKETS}).
     *
     * @param storedBytes    bytes stored for the day so far
     * @param bytesPerSecond the rate they grew at lately (0 when not known yet)
     */
    public Shape shapeFor(Shape current, long storedBytes, double bytesPerSecond, LocalDate day, Instant now) {
        double projected = storedBytes + Math.max(0, bytesPerSecond) * horizon(day, now).toSeconds();
        if (projected <= (double) current.buckets() * quarterTarget) {
            return current;
        }
        long needed = Math.max((long) Math.ceil(projected / quarterTarget), (long) current.buckets() * 2);
        for (int sliceSeconds : SLICE_SECONDS) {
            int slices = EventIndexLayout.WHOLE_DAY_SECONDS / sliceSeconds;
            if (needed >= (long) slices * BUCKETS_PER_SLICE) {
                long buckets = (long) slices * nextPowerOfTwo((needed + slices - 1) / slices);
                if (buckets <= EventIndexLayout.MAX_BUCKETS) {
                    return new Shape(sliceSeconds, (int) buckets);
                }
                // More than the key holds at this slicing: the finest slicing's most buckets, if more than now.
                int most = slices * Integer.highestOneBit(EventIndexLayout.MAX_BUCKETS / slices);
                return most > current.buckets() ? new Shape(sliceSeconds, most) : current;
            }
        }
        long buckets = Math.min(EventIndexLayout.MAX_BUCKETS, nextPowerOfTwo(needed));
        return buckets > current.buckets() ? new Shape(EventIndexLayout.WHOLE_DAY_SECONDS, (int) buckets) : current;
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
