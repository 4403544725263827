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
            assertTrue(bucket >= 0 && bucket < EventIndexLayout.BUCKETS_PER_DAY);
            assertEquals(bucket, EventIndexLayout.bucket("message-" + i));
        }
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
