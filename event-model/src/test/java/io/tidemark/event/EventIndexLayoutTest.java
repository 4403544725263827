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
    void everyLayoutsBucketsArePrefixOfTheNextSoAReaderOfTheHighestCountFindsThemAll() {
        for (int i = 0; i < 10_000; i++) {
            String id = "message-" + i;
            for (int buckets = EventIndexLayout.ORIGINAL_BUCKETS; buckets < EventIndexLayout.MAX_BUCKETS; buckets *= 2) {
                short smaller = EventIndexLayout.bucket(id, buckets);
                short larger = EventIndexLayout.bucket(id, buckets * 2);
                assertTrue(smaller >= 0 && smaller < buckets, id + " in " + buckets);
                // Splitting a bucket in two: a message stays in its bucket or moves to bucket + buckets.
                assertTrue(larger == smaller || larger == smaller + buckets, id + " from " + buckets);
            }
            assertTrue(EventIndexLayout.bucket(id, EventIndexLayout.MAX_BUCKETS) <= Short.MAX_VALUE);
        }
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
