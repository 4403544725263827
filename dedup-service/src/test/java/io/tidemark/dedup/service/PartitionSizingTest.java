package io.tidemark.dedup.service;

import io.tidemark.event.EventIndexLayout;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PartitionSizingTest {

    private static final long MB = 1 << 20;
    private static final long TARGET = 64 * MB;
    /** The figure: 10 M events a day are about 4 GB, 400 bytes an event. */
    private static final long EVENT_BYTES = 400;

    private final PartitionSizing sizing = new PartitionSizing(TARGET, Duration.ofHours(1));
    private final LocalDate today = LocalDate.of(2026, 12, 1);
    private final Instant midnight = today.atStartOfDay(ZoneOffset.UTC).toInstant();

    @Test
    void aSmallSourceKeepsTheOriginalEightBuckets() {
        // 100,000 events a day, all of them stored: 40 MB over 8 buckets.
        assertEquals(8, sizing.bucketsFor(8, 100_000 * EVENT_BYTES, 0, today, midnight.plus(Duration.ofHours(23))));
        // A steady 1.2 events/s at 02:00 projects the same day.
        assertEquals(8, sizing.bucketsFor(8, 2 * 3600 * 480, 480, today, midnight.plus(Duration.ofHours(2))));
    }

    @Test
    void aDayGrowsToAPowerOfTwoSizedForTheRestOfTheDayAtItsPresentRate() {
        // 100 M a day (40 GB, 463 KB/s) seen at 01:00: the projection is the whole day.
        double rate = 100_000_000.0 * EVENT_BYTES / 86_400;
        long stored = (long) (rate * 3600);
        int buckets = sizing.bucketsFor(8, stored, rate, today, midnight.plus(Duration.ofHours(1)));
        assertEquals(Integer.bitCount(buckets), 1, "a power of two: " + buckets);
        assertTrue(100_000_000.0 * EVENT_BYTES / buckets <= TARGET / 4.0, buckets + " buckets");
        assertTrue(100_000_000.0 * EVENT_BYTES / buckets > TARGET / 16.0, "not far more than needed: " + buckets);
        // Once sized, the same rate later in the day changes nothing.
        assertEquals(buckets, sizing.bucketsFor(buckets, stored * 12, rate, today, midnight.plus(Duration.ofHours(12))));
    }

    @Test
    void aPastDayGrowsWithItsBytesAndTheRateOfABackfillButNotTheHoursLeftOfToday() {
        LocalDate past = today.minusDays(3);
        Instant now = midnight.plus(Duration.ofHours(1));
        assertEquals(8, sizing.bucketsFor(8, 8 * (TARGET / 4), 0, past, now));
        assertEquals(16, sizing.bucketsFor(8, 8 * (TARGET / 4) + 1, 0, past, now), "at least doubles");
        // A backfill at 40 MB/s: an hour of it is 144 GB.
        int buckets = sizing.bucketsFor(8, 0, 40.0 * MB, past, now);
        assertEquals(16_384, buckets);
    }

    @Test
    void neverMoreThanTheMostASmallintBucketHolds() {
        assertEquals(EventIndexLayout.MAX_BUCKETS, sizing.bucketsFor(8, Long.MAX_VALUE / 2, 1e12, today, midnight));
        assertEquals(EventIndexLayout.MAX_BUCKETS, sizing.bucketsFor(EventIndexLayout.MAX_BUCKETS, Long.MAX_VALUE / 2, 0,
                today, midnight));
    }

    /**
     * The bound the class comment argues, simulated: a billion 400-byte events a day (400 GB) arriving
     * at a steady rate from midnight for a source never seen before, every host re-reading every 10 s.
     * Each bucket's bytes are the sum over the layouts it lived through; none may reach the target.
     */
    @Test
    void aBillionEventsADayFromABrandNewSourceFillNoBucketToTheTarget() {
        double rate = 1_000_000_000.0 * EVENT_BYTES / 86_400;
        int buckets = EventIndexLayout.ORIGINAL_BUCKETS;
        double lowestBucket = 0;
        int layouts = 1;
        double stored = 0;
        double lastRate = 0;
        for (int second = 10; second <= 86_400; second += 10) {
            stored += rate * 10;
            lowestBucket += rate * 10 / buckets;
            int next = sizing.bucketsFor(buckets, (long) stored, lastRate, today, midnight.plusSeconds(second));
            lastRate = rate;
            if (next != buckets) {
                buckets = next;
                layouts++;
            }
        }
        assertTrue(lowestBucket < TARGET, "bucket 0 holds " + lowestBucket / MB + " MB after " + layouts + " layouts");
        assertTrue(layouts <= 3, layouts + " layouts");
    }
}
