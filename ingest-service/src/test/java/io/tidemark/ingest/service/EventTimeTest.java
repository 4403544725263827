package io.tidemark.ingest.service;

import io.tidemark.event.EventFlag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class EventTimeTest {

    private static final Instant RECEIVED = Instant.parse("2026-11-25T12:00:00Z");
    private static final Duration TOLERANCE = Duration.ofMinutes(10);

    @Test
    void withoutAnyClientTimeTheReceiveTimeIsTheEventTime() {
        EventTime.Corrected corrected = EventTime.correct(RECEIVED, null, null, TOLERANCE);
        assertEquals(RECEIVED, corrected.timestamp());
        assertEquals(Set.of(), corrected.flags());
    }

    @Test
    void clientTimeWithoutSentAtIsTakenAsIs() {
        Instant fiveDaysAgo = RECEIVED.minus(Duration.ofDays(5));
        assertEquals(fiveDaysAgo, EventTime.correct(RECEIVED, fiveDaysAgo, null, TOLERANCE).timestamp());
    }

    @Test
    void aClientClockAnHourFastIsCorrectedBySentAt() {
        // The device clock runs one hour ahead; the call happened 30 s before sending.
        Instant clientCall = Instant.parse("2026-11-25T12:59:30Z");
        Instant clientSent = Instant.parse("2026-11-25T13:00:00Z");
        EventTime.Corrected corrected = EventTime.correct(RECEIVED, clientCall, clientSent, TOLERANCE);
        assertEquals(Instant.parse("2026-11-25T11:59:30Z"), corrected.timestamp());
        assertEquals(Set.of(EventFlag.SKEW_CORRECTED), corrected.flags());
    }

    @Test
    void eventTimeFarInTheFutureIsClampedAndFlagged() {
        Instant nextWeek = RECEIVED.plus(Duration.ofDays(7));
        EventTime.Corrected corrected = EventTime.correct(RECEIVED, nextWeek, null, TOLERANCE);
        assertEquals(RECEIVED, corrected.timestamp());
        assertEquals(Set.of(EventFlag.FUTURE_TIMESTAMP_CLAMPED), corrected.flags());
    }

    @Test
    void eventTimeSlightlyAheadWithinToleranceIsKept() {
        Instant soon = RECEIVED.plus(Duration.ofMinutes(5));
        assertEquals(soon, EventTime.correct(RECEIVED, soon, null, TOLERANCE).timestamp());
    }
}
