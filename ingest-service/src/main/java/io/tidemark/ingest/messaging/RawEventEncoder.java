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
        char[] instants = new char[Iso8601.MAX_FORMATTED];
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
            instant(json, "timestamp", e.timestamp(), instants);
            instant(json, "originalTimestamp", e.originalTimestamp(), instants);
            instant(json, "sentAt", e.sentAt(), instants);
            instant(json, "receivedAt", e.receivedAt(), instants);
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

    private static void instant(JsonGenerator json, String field, Instant value, char[] buffer) throws IOException {
        if (value != null) {
            int length = Iso8601.format(value, buffer);
            json.writeFieldName(field);
            if (length < 0) {
                json.writeString(value.toString());
            } else {
                json.writeString(buffer, 0, length);
            }
        }
    }
}
