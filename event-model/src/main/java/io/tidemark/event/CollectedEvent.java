package io.tidemark.event;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.Set;

/**
 * One collected event as it travels from ingest to dedup on {@code tidemark.events.raw}.
 *
 * <p>{@code timestamp} is the corrected event time that every mart is keyed on; the client's own
 * clocks ({@code originalTimestamp}, {@code sentAt}) are kept so the correction can be audited.
 * Free-form parts ({@code properties}, {@code traits}, {@code context}, {@code integrations}) stay
 * JSON because their shape belongs to the customer, not to us.
 */
public record CollectedEvent(
        int v,
        String source,
        String messageId,
        EventType type,
        String event,
        String name,
        String userId,
        String anonymousId,
        String groupId,
        String previousId,
        JsonNode properties,
        JsonNode traits,
        JsonNode context,
        JsonNode integrations,
        Instant timestamp,
        Instant originalTimestamp,
        Instant sentAt,
        Instant receivedAt,
        Set<EventFlag> flags) {

    /** The version of this record's JSON form; bumped on any incompatible change. */
    public static final int FORMAT_VERSION = 1;

    public CollectedEvent {
        flags = flags == null ? Set.of() : Set.copyOf(flags);
    }

    /** The user this event counts for on a dashboard: the known user, else the anonymous one. */
    public String countedUser() {
        return userId != null ? userId : anonymousId;
    }

    /** The Kafka record key: every copy of an event lands on the same partition. */
    public String kafkaKey() {
        return EventKey.of(source, messageId);
    }
}
