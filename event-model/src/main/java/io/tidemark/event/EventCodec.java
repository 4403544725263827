package io.tidemark.event;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The wire form of {@link CollectedEvent} on Kafka: compact JSON, ISO-8601 instants, nulls left out.
 *
 * <p>JSON rather than a binary format because events arrive as JSON, every tool can read the topic,
 * and the field {@code v} lets a reader refuse a version it does not know.
 */
public final class EventCodec {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    private EventCodec() {
    }

    public static byte[] encode(CollectedEvent event) {
        try {
            return MAPPER.writeValueAsBytes(event);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Decodes a record value; throws {@link UndecodableEventException} naming what is wrong. */
    public static CollectedEvent decode(byte[] value) {
        if (value == null || value.length == 0) {
            throw new UndecodableEventException("empty record value");
        }
        CollectedEvent event;
        try {
            event = MAPPER.readValue(value, CollectedEvent.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new UndecodableEventException("not a Tidemark event: " + e.getMessage());
        }
        if (event.v() != CollectedEvent.FORMAT_VERSION) {
            throw new UndecodableEventException("unsupported format version " + event.v());
        }
        requirePresent(event.source(), "source");
        requirePresent(event.messageId(), "messageId");
        requirePresent(event.type(), "type");
        requirePresent(event.timestamp(), "timestamp");
        requirePresent(event.receivedAt(), "receivedAt");
        if (event.countedUser() == null) {
            throw new UndecodableEventException("missing field: userId or anonymousId");
        }
        return event;
    }

    /** Free-form JSON parts are stored as text; this renders them compactly. */
    public static String toJsonText(Object node) {
        if (node == null) {
            return null;
        }
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void requirePresent(Object value, String field) {
        if (value == null) {
            throw new UndecodableEventException("missing field: " + field);
        }
    }
}
