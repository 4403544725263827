package io.tidemark.ingest.service;

import io.tidemark.event.EventFlag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Each row of the README's event-time table, with the client that needs it. */
class EventTimeTest {

    private static final Instant RECEIVED = Instant.parse("2026-11-25T12:00:00Z");
    private static final EventTime.Policy POLICY = new EventTime.Policy(Duration.ofSeconds(5), Duration.ofMinutes(10),
            Duration.ofDays(400));
    private static final boolean SENT_AT_AT_SEND = false;
    private static final boolean SENT_AT_AT_BATCH_CLOSE = true;

    private static EventTime.Decided decide(Instant timestamp, Instant originalTimestamp, Instant sentAt,
            boolean sentAtAtBatchClose) {
        return EventTime.decide(RECEIVED, new EventTime.ClientTimes(timestamp, originalTimestamp, sentAt,
                sentAtAtBatchClose), POLICY);
    }

    private static void assertDecided(Instant time, EventTime.Rule rule, EventTime.Decided decided) {
        assertEquals(time, decided.timestamp());
        assertEquals(rule, decided.rule());
    }

    @Test
    void withoutAnyClientTimeTheReceiveTimeIsTheEventTime() {
        EventTime.Decided decided = decide(null, null, null, SENT_AT_AT_SEND);
        assertDecided(RECEIVED, EventTime.Rule.RECEIVED, decided);
        assertEquals(Set.of(EventFlag.TIME_RECEIVED), decided.flags());
    }

    @Test
    void clientTimeWithoutSentAtIsTakenAsIsAndFlaggedUnchecked() {
        Instant fiveDaysAgo = RECEIVED.minus(Duration.ofDays(5));
        assertDecided(fiveDaysAgo, EventTime.Rule.UNCHECKED, decide(fiveDaysAgo, null, null, SENT_AT_AT_SEND));
    }

    @Test
    void aHistoricalTimestampSetByTheCallerBesideTheSdksOriginalTimestampStaysOnItsDay() {
        // RudderStack's node SDK: timestamp as the caller set it, originalTimestamp and sentAt the time of the call.
        Instant weeksAgo = RECEIVED.minus(Duration.ofDays(20));
        Instant call = RECEIVED.minusMillis(300);
        EventTime.Decided decided = decide(weeksAgo, call, call.plusMillis(100), SENT_AT_AT_SEND);
        assertDecided(weeksAgo, EventTime.Rule.CALLER_SET, decided);
        assertEquals(Set.of(EventFlag.TIME_CALLER_SET), decided.flags());
    }

    @Test
    void aHistoricalTimestampFromAServerWithARightClockStaysOnItsDay() {
        // analytics-node, analytics-java: timestamp as the caller set it, sentAt when the batch was sent.
        Instant weeksAgo = RECEIVED.minus(Duration.ofDays(20));
        assertDecided(weeksAgo, EventTime.Rule.CLOCK_AGREES, decide(weeksAgo, null, RECEIVED.minusMillis(200), SENT_AT_AT_SEND));
    }

    @Test
    void aBrowserClockHoursAheadIsCorrectedToServerTime() {
        // analytics-next stamps sentAt when it sends; both times come from the clock that runs three hours fast.
        Instant call = Instant.parse("2026-11-25T14:59:30Z");
        Instant sent = Instant.parse("2026-11-25T15:00:00Z");
        EventTime.Decided decided = decide(call, null, sent, SENT_AT_AT_SEND);
        assertDecided(Instant.parse("2026-11-25T11:59:30Z"), EventTime.Rule.SKEW_CORRECTED, decided);
        assertEquals(Set.of(EventFlag.SKEW_CORRECTED), decided.flags());
    }

    @Test
    void aBrowserClockHoursBehindIsCorrectedToServerTime() {
        Instant call = Instant.parse("2026-11-25T06:59:50Z");
        Instant sent = Instant.parse("2026-11-25T07:00:00Z");
        assertDecided(Instant.parse("2026-11-25T11:59:50Z"), EventTime.Rule.SKEW_CORRECTED,
                decide(call, null, sent, SENT_AT_AT_SEND));
    }

    @Test
    void aMobileAppOfflineForDaysWithARightClockKeepsTheDayTheEventsHappened() {
        // analytics-kotlin stamps sentAt when it closes the batch file, three days before the upload.
        Instant tracked = RECEIVED.minus(Duration.ofDays(3)).minusSeconds(40);
        Instant fileClosed = RECEIVED.minus(Duration.ofDays(3));
        EventTime.Decided decided = decide(tracked, null, fileClosed, SENT_AT_AT_BATCH_CLOSE);
        assertDecided(tracked, EventTime.Rule.QUEUE_ASSUMED, decided);
        assertEquals(Set.of(EventFlag.TIME_QUEUE_ASSUMED), decided.flags());
    }

    @Test
    void segmentsFormulaWouldHaveMovedTheOfflineEventsToTheUploadDay() {
        // The same batch from an SDK that claims to stamp sentAt when sending: it must be a wrong clock.
        Instant tracked = RECEIVED.minus(Duration.ofDays(3)).minusSeconds(40);
        Instant fileClosed = RECEIVED.minus(Duration.ofDays(3));
        assertDecided(RECEIVED.minusSeconds(40), EventTime.Rule.SKEW_CORRECTED,
                decide(tracked, null, fileClosed, SENT_AT_AT_SEND));
    }

    @Test
    void aMobileClockBehindCannotBeToldFromQueueingAndIsTakenAsQueueing() {
        // The assumption the README states: phones set their clocks from the network, batches wait offline.
        Instant call = RECEIVED.minus(Duration.ofHours(2)).minusSeconds(10);
        Instant sent = RECEIVED.minus(Duration.ofHours(2));
        assertDecided(call, EventTime.Rule.QUEUE_ASSUMED, decide(call, null, sent, SENT_AT_AT_BATCH_CLOSE));
    }

    @Test
    void aMobileBatchClosedLongerAgoThanAnyEventIsKeptIsAClockResetAndIsCorrected() {
        // A phone back at its factory date: taken for a queue, every event of it would be refused as too old.
        Instant call = Instant.parse("2015-01-01T00:10:00Z");
        Instant sent = Instant.parse("2015-01-01T00:10:30Z");
        assertDecided(RECEIVED.minusSeconds(30), EventTime.Rule.SKEW_CORRECTED, decide(call, null, sent, SENT_AT_AT_BATCH_CLOSE));
        // One closed just within the window is still a queue.
        Instant longQueued = RECEIVED.minus(Duration.ofDays(399));
        assertDecided(longQueued.minusSeconds(30), EventTime.Rule.QUEUE_ASSUMED,
                decide(longQueued.minusSeconds(30), null, longQueued, SENT_AT_AT_BATCH_CLOSE));
    }

    @Test
    void aMobileClockAheadCannotBeQueueingAndIsCorrected() {
        // A batch cannot be closed after it arrived: a sentAt ahead of the receive time is the clock.
        Instant call = RECEIVED.plus(Duration.ofHours(2)).minusSeconds(10);
        Instant sent = RECEIVED.plus(Duration.ofHours(2));
        assertDecided(RECEIVED.minusSeconds(10), EventTime.Rule.SKEW_CORRECTED,
                decide(call, null, sent, SENT_AT_AT_BATCH_CLOSE));
    }

    @Test
    void aSentAtWithinTheClockToleranceIsTransitAndLeavesTheClientTimeAlone() {
        Instant call = RECEIVED.minusSeconds(30);
        assertDecided(call, EventTime.Rule.CLOCK_AGREES, decide(call, null, RECEIVED.minusSeconds(3), SENT_AT_AT_SEND));
    }

    @Test
    void eventTimeFarInTheFutureIsClampedAndFlagged() {
        Instant nextWeek = RECEIVED.plus(Duration.ofDays(7));
        EventTime.Decided decided = decide(nextWeek, null, null, SENT_AT_AT_SEND);
        assertEquals(RECEIVED, decided.timestamp());
        assertEquals(Set.of(EventFlag.TIME_UNCHECKED, EventFlag.FUTURE_TIMESTAMP_CLAMPED), decided.flags());
    }

    @Test
    void aCallerSetTimestampInTheFutureIsClampedToo() {
        Instant nextWeek = RECEIVED.plus(Duration.ofDays(7));
        EventTime.Decided decided = decide(nextWeek, RECEIVED, RECEIVED, SENT_AT_AT_SEND);
        assertEquals(RECEIVED, decided.timestamp());
        assertEquals(Set.of(EventFlag.TIME_CALLER_SET, EventFlag.FUTURE_TIMESTAMP_CLAMPED), decided.flags());
    }

    @Test
    void eventTimeSlightlyAheadWithinToleranceIsKept() {
        Instant soon = RECEIVED.plus(Duration.ofMinutes(5));
        assertEquals(soon, decide(soon, null, null, SENT_AT_AT_SEND).timestamp());
    }
}
