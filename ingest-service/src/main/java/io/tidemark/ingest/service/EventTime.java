package io.tidemark.ingest.service;

import io.tidemark.event.EventFlag;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;

/**
 * Decides an event's time the way Segment does: the client's clock is trusted for the interval
 * between the call and the send ({@code sentAt - originalTimestamp}), never for the absolute time.
 */
public final class EventTime {

    private EventTime() {
    }

    /** The corrected event time and the flags that explain it. */
    public record Corrected(Instant timestamp, Set<EventFlag> flags) {
    }

    /**
     * @param clientTime the client's time of the call ({@code originalTimestamp}, else {@code timestamp}); may be null
     * @param sentAt the client's time of sending; may be null
     */
    public static Corrected correct(Instant receivedAt, Instant clientTime, Instant sentAt, Duration futureTolerance) {
        Set<EventFlag> flags = EnumSet.noneOf(EventFlag.class);
        Instant time;
        if (clientTime == null) {
            time = receivedAt;
        } else if (sentAt == null) {
            time = clientTime;
        } else {
            time = receivedAt.minus(Duration.between(clientTime, sentAt));
            if (!time.equals(clientTime)) {
                flags.add(EventFlag.SKEW_CORRECTED);
            }
        }
        if (time.isAfter(receivedAt.plus(futureTolerance))) {
            time = receivedAt;
            flags.add(EventFlag.FUTURE_TIMESTAMP_CLAMPED);
        }
        return new Corrected(time, flags);
    }
}
