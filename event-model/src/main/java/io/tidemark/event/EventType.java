package io.tidemark.event;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;
import java.util.Optional;

/** The Segment call types. */
public enum EventType {
    IDENTIFY, TRACK, PAGE, SCREEN, GROUP, ALIAS;

    // Computed once: ingest asks for it for every event it reads and writes.
    private static final EventType[] ALL = values();
    private final String wireName = name().toLowerCase(Locale.ROOT);

    /** The lower-case name used on the wire, as in Segment's {@code type} field. */
    @JsonValue
    public String wireName() {
        return wireName;
    }

    @JsonCreator
    public static EventType fromWire(String value) {
        return parse(value).orElseThrow(() -> new IllegalArgumentException("unknown event type: " + value));
    }

    /** Parses a wire name; empty when it names no type. */
    public static Optional<EventType> parse(String value) {
        if (value == null) {
            return Optional.empty();
        }
        for (EventType type : ALL) {
            if (type.wireName.equals(value)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}
