package io.tidemark.mart.query;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LatenessEstimateTest {

    @Test
    void percentilesAreTheSmallestBoundsHoldingTheirShareOfEvents() {
        // 1,000 events: 989 within a minute, 10 within an hour, 1 within a day.
        LatenessEstimate estimate = LatenessEstimate.of(List.of(new LatenessEstimate.Bucket(60, 989),
                new LatenessEstimate.Bucket(3600, 10), new LatenessEstimate.Bucket(86400, 1)));
        assertEquals(1000, estimate.events());
        // 990 events are needed for 99 %: the hour bucket; 999 for 99.9 %: still the hour bucket.
        assertEquals(Optional.of(3600L), estimate.p99Seconds());
        assertEquals(Optional.of(3600L), estimate.p999Seconds());

        LatenessEstimate tail = LatenessEstimate.of(List.of(new LatenessEstimate.Bucket(60, 990),
                new LatenessEstimate.Bucket(3600, 8), new LatenessEstimate.Bucket(86400, 2)));
        assertEquals(Optional.of(60L), tail.p99Seconds());
        assertEquals(Optional.of(86400L), tail.p999Seconds());
        assertEquals(Duration.ofDays(1), tail.finalAfter(Duration.ofDays(7)));
    }

    @Test
    void withoutEventsThereIsNoPercentileAndTheFallbackDecides() {
        LatenessEstimate empty = LatenessEstimate.of(List.of());
        assertEquals(Optional.empty(), empty.p999Seconds());
        assertEquals(Duration.ofDays(7), empty.finalAfter(Duration.ofDays(7)));
    }

    @Test
    void aDayIsFinalOnlyOnceItsEndPlusTheDelayIsExported() {
        LocalDate day = LocalDate.parse("2026-11-01");
        Duration delay = Duration.ofHours(6);
        assertFalse(LatenessEstimate.isFinal(day, Instant.parse("2026-11-02T06:00:00Z"), delay));
        assertTrue(LatenessEstimate.isFinal(day, Instant.parse("2026-11-02T06:00:01Z"), delay));
        assertFalse(LatenessEstimate.isFinal(day, null, delay), "never exported");
    }
}
