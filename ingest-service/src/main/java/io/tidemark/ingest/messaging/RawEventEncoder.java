package io.tidemark.ingest.messaging;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.event.EventFlag;
import io.tidemark.ingest.service.Iso8601;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * Writes {@link CollectedEvent} in exactly {@link EventCodec}'s form (the test compares bytes), field
 * by field instead of through bean reflection and java.time formatters: encoding was the largest cost
 * of a batch. Readers keep using {@link EventCodec#decode}.
 */
final class RawEventEncoder {

    // A plain mapper, like EventCodec's, so free-form JSON parts are written the same way.
    private static final ObjectMapper NODES = new ObjectMapper();

    private RawEventEncoder() {
    }

    static byte[] encode(CollectedEvent e) {
        try (ByteArrayBuilder bytes = new ByteArrayBuilder(512);
             JsonGenerator json = NODES.getFactory().createGenerator(bytes)) {
            json.writeStartObject();
            json.writeNumberField("v", e.v());
            string(json, "source", e.source());
            string(json, "messageId", e.messageId());
            string(json, "type", e.type() == null ? null : e.type().wireName());
            string(json, "event", e.event());
            string(json, "name", e.name());
            string(json, "userId", e.userId());
            string(json, "anonymousId", e.anonymousId());
            string(json, "groupId", e.groupId());
            string(json, "previousId", e.previousId());
            node(json, "properties", e.properties());
            node(json, "traits", e.traits());
            node(json, "context", e.context());
            node(json, "integrations", e.integrations());
            instant(json, "timestamp", e.timestamp());
            instant(json, "originalTimestamp", e.originalTimestamp());
            instant(json, "sentAt", e.sentAt());
            instant(json, "receivedAt", e.receivedAt());
            json.writeArrayFieldStart("flags");
            for (EventFlag flag : e.flags()) {
                json.writeString(flag.wireName());
            }
            json.writeEndArray();
            json.writeEndObject();
            json.flush();
            return bytes.toByteArray();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private static void string(JsonGenerator json, String field, String value) throws IOException {
        if (value != null) {
            json.writeStringField(field, value);
        }
    }

    private static void node(JsonGenerator json, String field, JsonNode value) throws IOException {
        if (value != null) {
            json.writeFieldName(field);
            json.writeTree(value);
        }
    }

    private static void instant(JsonGenerator json, String field, Instant value) throws IOException {
        if (value != null) {
            json.writeStringField(field, Iso8601.format(value));
        }
    }
}
