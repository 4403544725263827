package io.tidemark.dedup.service;

import io.tidemark.dedup.repository.ClaimLayoutRepository.DayClaims;
import io.tidemark.dedup.repository.MessageLedger;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How many claim buckets a source's claims call for, and what the window is projected to hold. */
class ClaimLayoutsTest {

    private static final long TARGET = 64L << 20;
    private static final LocalDate TODAY = LocalDate.of(2026, 12, 1);

    @Test
    void halfAMillionClaimsADayFitTheOriginalSixtyBucketsAMillionNeedTwice() {
        // 30 M claims x 64 bytes / 60 = 32 MB a bucket: over a quarter of 64 MB, so it grows once.
        assertEquals(120, ClaimLayouts.bucketsFor(60, 30e6, TARGET));
        assertEquals(60, ClaimLayouts.bucketsFor(60, 15e6, TARGET));
    }

    @Test
    void aBillionADayForThirtyDaysGetsTheMostBucketsAndStaysUnderAHundredMegabytes() {
        double claims = 1e9 * 30;
        int buckets = ClaimLayouts.bucketsFor(60, claims, TARGET);
        assertEquals(ClaimLayouts.MAX_BUCKETS, buckets);
        double mb = claims * ClaimLayouts.CLAIM_BYTES / buckets / 1e6;
        assertTrue(mb < 100, "a bucket holds " + mb + " MB");
    }

    @Test
    void countsAreSixtyTimesAPowerOfTwoAndNeverShrink() {
        for (double claims : new double[] {0, 1e6, 1e8, 3e9, 3e10, 1e12}) {
            int buckets = ClaimLayouts.bucketsFor(MessageLedger.BUCKETS, claims, TARGET);
            assertEquals(0, buckets % MessageLedger.BUCKETS);
            assertEquals(1, Integer.bitCount(buckets / MessageLedger.BUCKETS), "a power of two: " + buckets);
            assertTrue(buckets <= ClaimLayouts.MAX_BUCKETS && buckets <= Short.MAX_VALUE + 1);
            assertEquals(Math.max(buckets, 960), ClaimLayouts.bucketsFor(960, claims, TARGET), "never fewer than now");
        }
    }

    @Test
    void theWindowIsProjectedFromItsDaysOrTheBusiestOfTodayAndYesterday() {
        List<DayClaims> days = List.of(new DayClaims(TODAY.minusDays(40), 1_000_000_000L),
                new DayClaims(TODAY.minusDays(10), 5_000_000L), new DayClaims(TODAY.minusDays(1), 2_000L),
                new DayClaims(TODAY, 3_000L));
        // A day out of the window does not count; yesterday's and today's rates are small.
        assertEquals(5_005_000, ClaimLayouts.projectedClaims(days, TODAY, 30), 0.0);
        // A source that just became busy: today's claims every day of the window.
        List<DayClaims> busy = List.of(new DayClaims(TODAY.minusDays(3), 100L), new DayClaims(TODAY, 1_000_000L));
        assertEquals(30_000_000, ClaimLayouts.projectedClaims(busy, TODAY, 30), 0.0);
        assertEquals(0, ClaimLayouts.projectedClaims(List.of(), TODAY, 30), 0.0);
    }
}
