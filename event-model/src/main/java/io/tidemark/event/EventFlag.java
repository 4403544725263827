package io.tidemark.event;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/** Facts about how an event was accepted that a reader of the data should know. */
public enum EventFlag {
    /** The client sent no messageId; retries of this event cannot be recognised as copies. */
    GENERATED_MESSAGE_ID,
    /**
     * The event time was corrected for the client's clock skew using sentAt. This and the five
     * {@code TIME_*} flags name the row of ingest's event-time rule that decided the time: exactly one
     * of them is on every event ingest accepts.
     */
    SKEW_CORRECTED,
    /** The event time lay too far in the future and was clamped to the receive time. */
    FUTURE_TIMESTAMP_CLAMPED,
    /** The client sent no time of its own: the event time is the receive time. */
    TIME_RECEIVED,
    /** The caller set {@code timestamp} apart from the SDK's {@code originalTimestamp}: taken as given. */
    TIME_CALLER_SET,
    /** No {@code sentAt} to check the client's clock against: the client's time is taken as given. */
    TIME_UNCHECKED,
    /** The client's {@code sentAt} agreed with the receive time: its clock is right, its time taken as given. */
    TIME_CLOCK_AGREES,
    /**
     * An SDK that stamps {@code sentAt} when it closes a batch sent it late: the delay is taken for
     * queueing (offline), not for a slow clock, and the client's time as given. The two cannot be told
     * apart; these events are the ones to look at if a device clock was wrong.
     */
    TIME_QUEUE_ASSUMED;

    // Computed once: ingest writes it for every flagged event.
    private final String wireName = name().toLowerCase(Locale.ROOT);

    @JsonValue
    public String wireName() {
        return wireName;
    }

    @JsonCreator
    public static EventFlag fromWire(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
