package io.tidemark.event;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.fasterxml.jackson.datatype.jsr310.deser.InstantDeserializer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;

/**
 * The wire form of {@link CollectedEvent} on Kafka: compact JSON, ISO-8601 instants, nulls left out.
 *
 * <p>JSON rather than a binary format because events arrive as JSON, every tool can read the topic,
 * and the field {@code v} lets a reader refuse a version it does not know.
 *
 * <p>Encoding is on ingest's hot path (once per event), so it writes field by field with
 * {@link Iso8601} instead of through bean reflection and java.time's formatters: that was the largest
 * cost of a batch. The bytes are exactly what Jackson's bean serialisation of {@link CollectedEvent}
 * writes (the test compares them), so either can be read by the other's reader.
 */
public final class EventCodec {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .registerModule(new SimpleModule("tidemark-instants")
                    .addDeserializer(Instant.class, new CommonInstantDeserializer(InstantDeserializer.INSTANT)))
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    /** As {@link #MAPPER}'s reader, with free-form objects kept as the record's bytes ({@link #decodeKeepingObjects}). */
    private static final ObjectReader KEEPING_OBJECTS = MAPPER.copy()
            .registerModule(new SimpleModule("tidemark-raw-objects").addDeserializer(JsonNode.class, new RawObjectDeserializer()))
            .readerFor(CollectedEvent.class);

    private static final ThreadLocal<Encoder> ENCODERS = ThreadLocal.withInitial(Encoder::new);

    // The record's field names as UTF-8 written once: encoding and escaping ~15 names per event showed in
    // ingest's profile.
    private static final SerializedString V = new SerializedString("v");
    private static final SerializedString SOURCE = new SerializedString("source");
    private static final SerializedString MESSAGE_ID = new SerializedString("messageId");
    private static final SerializedString TYPE = new SerializedString("type");
    private static final SerializedString EVENT = new SerializedString("event");
    private static final SerializedString NAME = new SerializedString("name");
    private static final SerializedString USER_ID = new SerializedString("userId");
    private static final SerializedString ANONYMOUS_ID = new SerializedString("anonymousId");
    private static final SerializedString GROUP_ID = new SerializedString("groupId");
    private static final SerializedString PREVIOUS_ID = new SerializedString("previousId");
    private static final SerializedString PROPERTIES = new SerializedString("properties");
    private static final SerializedString TRAITS = new SerializedString("traits");
    private static final SerializedString CONTEXT = new SerializedString("context");
    private static final SerializedString INTEGRATIONS = new SerializedString("integrations");
    private static final SerializedString TIMESTAMP = new SerializedString("timestamp");
    private static final SerializedString ORIGINAL_TIMESTAMP = new SerializedString("originalTimestamp");
    private static final SerializedString SENT_AT = new SerializedString("sentAt");
    private static final SerializedString RECEIVED_AT = new SerializedString("receivedAt");
    private static final SerializedString FLAGS = new SerializedString("flags");

    private EventCodec() {
    }

    /** The record value of an event. */
    public static byte[] encode(CollectedEvent e) {
        Encoder encoder = ENCODERS.get();
        try {
            return encoder.encode(e);
        } catch (IOException | RuntimeException ex) {
            // A generator left inside an object cannot write the next event: this thread gets a new one.
            ENCODERS.remove();
            throw ex instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) ex;
        }
    }

    /**
     * One generator and one output buffer per thread, kept open across events: a generator, its buffers
     * and a serializer provider per event (for each JSON part) were most of what encoding allocated,
     * 2,880 bytes for an event of 561, against 700 now (issue #20). Each event is written as a root value
     * with no separator, flushed, and copied out once.
     */
    private static final class Encoder {

        private final byte[] instants = new byte[Iso8601.MAX_FORMATTED];
        // A request's events share its sentAt and receivedAt: each is formatted once per request.
        private final RepeatedInstant sentAt = new RepeatedInstant();
        private final RepeatedInstant receivedAt = new RepeatedInstant();
        private final Output output = new Output();
        private final JsonGenerator json;

        Encoder() {
            try {
                json = MAPPER.getFactory().createGenerator(output);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            json.setRootValueSeparator(null);
        }

        byte[] encode(CollectedEvent e) throws IOException {
            JsonGenerator json = this.json;
            json.writeStartObject();
            json.writeFieldName(V);
            json.writeNumber(e.v());
            string(json, SOURCE, e.source());
            string(json, MESSAGE_ID, e.messageId());
            string(json, TYPE, e.type() == null ? null : e.type().wireName());
            string(json, EVENT, e.event());
            string(json, NAME, e.name());
            string(json, USER_ID, e.userId());
            string(json, ANONYMOUS_ID, e.anonymousId());
            string(json, GROUP_ID, e.groupId());
            string(json, PREVIOUS_ID, e.previousId());
            node(json, PROPERTIES, e.properties());
            node(json, TRAITS, e.traits());
            node(json, CONTEXT, e.context());
            node(json, INTEGRATIONS, e.integrations());
            instant(json, TIMESTAMP, e.timestamp(), instants);
            instant(json, ORIGINAL_TIMESTAMP, e.originalTimestamp(), instants);
            sentAt.write(json, SENT_AT, e.sentAt());
            receivedAt.write(json, RECEIVED_AT, e.receivedAt());
            json.writeFieldName(FLAGS);
            json.writeStartArray();
            for (EventFlag flag : e.flags()) {
                json.writeString(flag.wireName());
            }
            json.writeEndArray();
            json.writeEndObject();
            json.flush();
            return output.take();
        }
    }

    /** An instant field whose text is kept while the next event carries the same instant. */
    private static final class RepeatedInstant {

        private final byte[] text = new byte[Iso8601.MAX_FORMATTED];
        private Instant last;
        private int length;

        void write(JsonGenerator json, SerializedString field, Instant value) throws IOException {
            if (value == null) {
                return;
            }
            if (!value.equals(last)) {
                length = Iso8601.format(value, text);
                last = value;
            }
            json.writeFieldName(field);
            Iso8601.writeFormatted(value, text, length, json);
        }
    }

    /** A growable byte buffer that hands out a copy of what was written and starts over. */
    private static final class Output extends OutputStream {

        /** Larger than nearly every event; one larger event must not pin its buffer to the thread. */
        private static final int KEPT_CAPACITY = 4096;

        private byte[] buffer = new byte[KEPT_CAPACITY];
        private int count;

        @Override
        public void write(int b) {
            ensure(1);
            buffer[count++] = (byte) b;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            ensure(length);
            System.arraycopy(bytes, offset, buffer, count, length);
            count += length;
        }

        private void ensure(int more) {
            if (count + more > buffer.length) {
                buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, count + more));
            }
        }

        byte[] take() {
            byte[] written = Arrays.copyOf(buffer, count);
            count = 0;
            if (buffer.length > KEPT_CAPACITY) {
                buffer = new byte[KEPT_CAPACITY];
            }
            return written;
        }
    }

    private static void string(JsonGenerator json, SerializedString field, String value) throws IOException {
        if (value != null) {
            json.writeFieldName(field);
            json.writeString(value);
        }
    }

    private static void node(JsonGenerator json, SerializedString field, JsonNode value) throws IOException {
        if (value != null) {
            json.writeFieldName(field);
            tree(json, value);
        }
    }

    /**
     * Writes a tree as {@link JsonGenerator#writeTree} does with this mapper's settings (nulls and empty
     * arrays kept, properties in their order), without the serializer provider that call builds each time.
     */
    private static void tree(JsonGenerator json, JsonNode node) throws IOException {
        switch (node.getNodeType()) {
            case OBJECT -> {
                json.writeStartObject();
                for (Map.Entry<String, JsonNode> property : node.properties()) {
                    json.writeFieldName(property.getKey());
                    tree(json, property.getValue());
                }
                json.writeEndObject();
            }
            case ARRAY -> {
                json.writeStartArray();
                for (JsonNode element : node) {
                    tree(json, element);
                }
                json.writeEndArray();
            }
            case STRING -> json.writeString(node.textValue());
            case BOOLEAN -> json.writeBoolean(node.booleanValue());
            case NULL -> json.writeNull();
            case NUMBER -> number(json, node);
            case POJO -> {
                RawJsonObject raw = RawJsonObject.of(node);
                if (raw != null) {
                    json.writeRawValue(raw);
                } else {
                    json.writeTree(node);
                }
            }
            // Binary nodes never come from parsed JSON; Jackson writes them as it always did.
            default -> json.writeTree(node);
        }
    }

    private static void number(JsonGenerator json, JsonNode node) throws IOException {
        switch (node.numberType()) {
            case INT -> json.writeNumber(node.intValue());
            case LONG -> json.writeNumber(node.longValue());
            case BIG_INTEGER -> json.writeNumber(node.bigIntegerValue());
            case FLOAT -> json.writeNumber(node.floatValue());
            case DOUBLE -> json.writeNumber(node.doubleValue());
            case BIG_DECIMAL -> json.writeNumber(node.decimalValue());
            default -> json.writeTree(node);
        }
    }

    private static void instant(JsonGenerator json, SerializedString field, Instant value, byte[] buffer) throws IOException {
        if (value != null) {
            json.writeFieldName(field);
            Iso8601.write(value, buffer, json);
        }
    }

    /** Decodes a record value; throws {@link UndecodableEventException} naming what is wrong. */
    public static CollectedEvent decode(byte[] value) {
        return decode(value, false);
    }

    /**
     * As {@link #decode}, refusing exactly the same records, but with the objects among properties,
     * traits, context and integrations kept as their bytes in {@code value} ({@link RawJsonObject} nodes)
     * instead of trees: for a reader that stores or forwards them without looking inside. Building the
     * trees and writing them out again as text was most of what dedup allocated per record (issue #20).
     * The nodes share {@code value}, which must not change while the event is in use; {@link #toJsonText}
     * writes either kind of node, and {@link RawJsonObject#utf8()} gives a kept object's bytes.
     */
    public static CollectedEvent decodeKeepingObjects(byte[] value) {
        return decode(value, true);
    }

    private static CollectedEvent decode(byte[] value, boolean keepingObjects) {
        if (value == null || value.length == 0) {
            throw new UndecodableEventException("empty record value");
        }
        CollectedEvent event;
        try {
            event = keepingObjects ? KEEPING_OBJECTS.withAttribute(RawObjectDeserializer.RECORD, value).readValue(value)
                    : MAPPER.readValue(value, CollectedEvent.class);
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
        requireStorableText(event);
        return event;
    }

    /**
     * A lone UTF-16 surrogate (JSON allows the escape {@code \ud800}) has no UTF-8 form, so no
     * database can store it: such a record is refused here, once, instead of failing every write
     * attempt downstream and holding back the records behind it.
     */
    private static void requireStorableText(CollectedEvent event) {
        String[][] fields = {{"source", event.source()}, {"messageId", event.messageId()}, {"event", event.event()},
                {"name", event.name()}, {"userId", event.userId()}, {"anonymousId", event.anonymousId()},
                {"groupId", event.groupId()}, {"previousId", event.previousId()}};
        for (String[] field : fields) {
            if (!wellFormed(field[1])) {
                throw new UndecodableEventException("malformed unicode in field: " + field[0]);
            }
        }
        Object[][] objects = {{"properties", event.properties()}, {"traits", event.traits()},
                {"context", event.context()}, {"integrations", event.integrations()}};
        for (Object[] object : objects) {
            if (!wellFormed((JsonNode) object[1])) {
                throw new UndecodableEventException("malformed unicode in field: " + object[0]);
            }
        }
    }

    private static boolean wellFormed(JsonNode node) {
        if (node == null) {
            return true;
        }
        if (node.isTextual()) {
            return wellFormed(node.textValue());
        }
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                if (!wellFormed(entry.getKey()) || !wellFormed(entry.getValue())) {
                    return false;
                }
            }
            return true;
        }
        if (node.isArray()) {
            for (JsonNode element : node) {
                if (!wellFormed(element)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean wellFormed(String text) {
        if (text == null) {
            return true;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 == text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
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
