package io.tidemark.event;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/** Facts about how an event was accepted that a reader of the data should know. */
public enum EventFlag {
    /** The client sent no messageId; retries of this event cannot be recognised as copies. */
    GENERATED_MESSAGE_ID,
    /** The event time was corrected for the client's clock skew using sentAt. */
    SKEW_CORRECTED,
    /** The event time lay too far in the future and was clamped to the receive time. */
    FUTURE_TIMESTAMP_CLAMPED;

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
