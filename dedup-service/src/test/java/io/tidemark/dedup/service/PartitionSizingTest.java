package io.tidemark.dedup.service;

import io.tidemark.dedup.service.PartitionSizing.Shape;
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
    void aSmallSourceKeepsTheOriginalEightBucketsOverTheWholeDay() {
        // 100,000 events a day, all of them stored: 40 MB over 8 buckets.
        assertEquals(Shape.ORIGINAL, sizing.shapeFor(Shape.ORIGINAL, 100_000 * EVENT_BYTES, 0, today,
                midnight.plus(Duration.ofHours(23))));
        // A steady 1.2 events/s at 02:00 projects the same day.
        assertEquals(Shape.ORIGINAL, sizing.shapeFor(Shape.ORIGINAL, 2 * 3600 * 480, 480, today,
                midnight.plus(Duration.ofHours(2))));
    }

    @Test
    void aBusierDayIsCutIntoSlicesOfEventTimeSizedForTheRestOfTheDayAtItsPresentRate() {
        // 100 M a day (40 GB, 463 KB/s) seen at 01:00: the projection is the whole day.
        double rate = 100_000_000.0 * EVENT_BYTES / 86_400;
        long stored = (long) (rate * 3600);
        Shape shape = sizing.shapeFor(Shape.ORIGINAL, stored, rate, today, midnight.plus(Duration.ofHours(1)));
        int slices = EventIndexLayout.WHOLE_DAY_SECONDS / shape.sliceSeconds();
        assertEquals(new Shape(300, 288 * 16), shape, "five-minute slices of 16 buckets");
        assertEquals(0, shape.buckets() % slices);
        assertTrue(shape.buckets() / slices >= 8, "at least 8 buckets a slice: " + shape);
        assertTrue(100_000_000.0 * EVENT_BYTES / shape.buckets() <= TARGET / 4.0, shape + " holds the day");
        assertTrue(100_000_000.0 * EVENT_BYTES / shape.buckets() > TARGET / 16.0, "not far more than needed: " + shape);
        // Once sized, the same rate later in the day changes nothing.
        assertEquals(shape, sizing.shapeFor(shape, stored * 12, rate, today, midnight.plus(Duration.ofHours(12))));
    }

    @Test
    void aModestDayGrowsItsHashBucketsWithoutSlicesAndAlwaysAtLeastDoubles() {
        LocalDate past = today.minusDays(3);
        Instant now = midnight.plus(Duration.ofHours(1));
        assertEquals(Shape.ORIGINAL, sizing.shapeFor(Shape.ORIGINAL, 8 * (TARGET / 4), 0, past, now));
        assertEquals(new Shape(EventIndexLayout.WHOLE_DAY_SECONDS, 16),
                sizing.shapeFor(Shape.ORIGINAL, 8 * (TARGET / 4) + 1, 0, past, now), "at least doubles");
        // A backfill at 40 MB/s: an hour of it is 144 GB, 9,216 buckets of 16 MB: two-minute slices of 16.
        Shape backfill = sizing.shapeFor(Shape.ORIGINAL, 0, 40.0 * MB, past, now);
        assertEquals(new Shape(120, 720 * 16), backfill);
    }

    @Test
    void neverMoreThanTheSmallintKeyHolds() {
        Shape most = sizing.shapeFor(Shape.ORIGINAL, Long.MAX_VALUE / 2, 1e12, today, midnight);
        assertEquals(new Shape(60, 1440 * 16), most);
        assertTrue(most.buckets() <= EventIndexLayout.MAX_BUCKETS);
        assertEquals(most, sizing.shapeFor(most, Long.MAX_VALUE / 2, 0, today, midnight));
    }

    /**
     * The bound the class comment argues, simulated: a billion 400-byte events a day (400 GB) arriving
     * from midnight for a source never seen before, from a twentieth of the average rate at night to
     * nearly twice it at noon, every host re-reading every 10 s. Each slice's buckets hold the bytes of its own minutes under the layout in
     * force then, plus what earlier layouts put in the same bucket numbers; none may reach the target.
     */
    @Test
    void aBillionEventsADayFromABrandNewSourceFillNoBucketToTheTarget() {
        double average = 1_000_000_000.0 * EVENT_BYTES / 86_400;
        double[] perBucket = new double[EventIndexLayout.MAX_BUCKETS];
        Shape shape = Shape.ORIGINAL;
        int layouts = 1;
        double stored = 0;
        double lastRate = 0;
        for (int second = 10; second <= 86_400; second += 10) {
            double rate = average * (1 - 0.95 * Math.cos(2 * Math.PI * second / 86_400.0));
            double bytes = rate * 10;
            stored += bytes;
            int slices = EventIndexLayout.WHOLE_DAY_SECONDS / shape.sliceSeconds();
            int perSlice = shape.buckets() / slices;
            int slice = (second - 1) / shape.sliceSeconds();
            for (int b = 0; b < perSlice; b++) {
                perBucket[slice * perSlice + b] += bytes / perSlice;
            }
            Shape next = sizing.shapeFor(shape, (long) stored, lastRate, today, midnight.plusSeconds(second));
            lastRate = rate;
            if (!next.equals(shape)) {
                shape = next;
                layouts++;
            }
        }
        double fullest = 0;
        for (double b : perBucket) {
            fullest = Math.max(fullest, b);
        }
        assertTrue(fullest < TARGET, "the fullest bucket holds " + fullest / MB + " MB after " + layouts + " layouts");
        // The rate climbs all morning, so each layout sized for the rest of the day at the rate of its
        // hour is outgrown a few times: a handful of layouts, each a few more rows in old buckets.
        assertTrue(layouts <= 6, layouts + " layouts");
        System.out.printf("a billion a day from midnight: %d layouts, fullest bucket %.1f MB%n", layouts, fullest / MB);
        assertEquals(60, shape.sliceSeconds());
    }
}
