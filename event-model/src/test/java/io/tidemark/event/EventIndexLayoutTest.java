package io.tidemark.event;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventIndexLayoutTest {

    @Test
    void eventDayIsTheUtcCalendarDay() {
        assertEquals(LocalDate.of(2026, 11, 24), EventIndexLayout.eventDay(Instant.parse("2026-11-24T23:59:59.999Z")));
        assertEquals(LocalDate.of(2026, 11, 25), EventIndexLayout.eventDay(Instant.parse("2026-11-25T00:00:00Z")));
    }

    @Test
    void bucketIsStableAndInRange() {
        for (int i = 0; i < 1000; i++) {
            short bucket = EventIndexLayout.bucket("message-" + i);
            assertTrue(bucket >= 0 && bucket < EventIndexLayout.ORIGINAL_BUCKETS);
            assertEquals(bucket, EventIndexLayout.bucket("message-" + i));
        }
    }

    @Test
    void aSlicedLayoutPutsAMessageInItsEventTimesSliceAndEveryBucketBelowTheDaysCount() {
        Instant midnight = Instant.parse("2026-11-24T00:00:00Z");
        int sliceSeconds = 600;
        int buckets = 144 * 16;
        for (int i = 0; i < 10_000; i++) {
            int keyHash = ("message-" + i).hashCode() & Integer.MAX_VALUE;
            Instant time = midnight.plusSeconds(i * 8L);
            short bucket = EventIndexLayout.bucket(keyHash, time, sliceSeconds, buckets);
            int slice = (i * 8) / sliceSeconds;
            assertTrue(bucket >= slice * 16 && bucket < (slice + 1) * 16, keyHash + " at " + time + ": " + bucket);
            assertEquals(bucket, EventIndexLayout.bucket(keyHash, time, sliceSeconds, buckets));
        }
        // The most buckets a day may have still fit the smallint column.
        assertTrue(EventIndexLayout.bucket(Integer.MAX_VALUE, midnight.plusSeconds(86_399), 60, EventIndexLayout.MAX_BUCKETS)
                <= Short.MAX_VALUE);
        // A whole-day layout is the key's hash modulo the count.
        assertEquals(12_345 % 64,
                EventIndexLayout.bucket(12_345, midnight.plusSeconds(5_000), EventIndexLayout.WHOLE_DAY_SECONDS, 64));
        assertEquals(EventIndexLayout.ORIGINAL_BUCKETS, EventIndexLayout.bucketsToRead(null));
        assertEquals(64, EventIndexLayout.bucketsToRead(64));
    }

    @Test
    void sourceIdsAreLowerCaseSlugs() {
        assertTrue(SourceId.isValid("dev"));
        assertTrue(SourceId.isValid("web-eu_2"));
        assertTrue(!SourceId.isValid("Web"));
        assertTrue(!SourceId.isValid("a:b"));
        assertTrue(!SourceId.isValid(""));
    }
}
