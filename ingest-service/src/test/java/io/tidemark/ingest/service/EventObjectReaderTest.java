package io.tidemark.ingest.service;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.event.EventType;
import io.tidemark.event.RawJsonObject;
import io.tidemark.ingest.service.rejection.InvalidEventException;
import io.tidemark.ingest.service.rejection.MalformedRequestException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every event, well-formed or hostile, gets the same answer through {@link EventObjectReader} (as a
 * single call's body reads it) as through a whole tree (the reader before issue #20): the same refusal with the same field and reason,
 * or the same record on Kafka and the same dead-letter body.
 */
class EventObjectReaderTest {

    private static final Instant RECEIVED = Instant.parse("2026-11-25T12:00:00Z");
    private static final String HEAD = "{\"type\":\"track\",\"messageId\":\"m-1\",\"userId\":\"u-1\",\"event\":\"Viewed\",";

    private final ObjectMapper mapper = new ObjectMapper();
    private final EventObjectReader reader = new EventObjectReader(mapper);
    private final SegmentEventParser parser = new SegmentEventParser(
            WriteKeyAuthenticatorTest.config(Map.of("web", List.of("k"))));

    /** What ingest makes of one event: a JSON error, a refusal, or the record it sends and its dead-letter form. */
    private record Outcome(String error, String refusedField, String refusedReason, byte[] record, byte[] asReceived) {

        String describe() {
            return error != null ? "malformed JSON" : refusedField != null ? refusedField + ": " + refusedReason
                    : new String(record, StandardCharsets.UTF_8);
        }
    }

    private Outcome outcome(byte[] json, boolean streamed) {
        JsonNode message;
        try {
            message = streamed ? new TrackingRequestReader(mapper).single(json) : mapper.readTree(json);
        } catch (MalformedRequestException e) {
            return new Outcome(e.getMessage(), null, null, null, null);
        } catch (JsonProcessingException e) {
            return new Outcome(e.getOriginalMessage(), null, null, null, null);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        byte[] asReceived;
        try {
            asReceived = mapper.writeValueAsBytes(message);
        } catch (JsonProcessingException e) {
            throw new AssertionError(e);
        }
        try {
            CollectedEvent event = parser.parse(message, EventType.TRACK, "web", RECEIVED, null);
            return new Outcome(null, null, null, EventCodec.encode(event), asReceived);
        } catch (InvalidEventException e) {
            return new Outcome(null, e.field(), e.reason(), null, asReceived);
        }
    }

    private static byte[] event(String rest) {
        return (HEAD + rest + "}").getBytes(StandardCharsets.UTF_8);
    }

    /** An event whose properties hold a string with these raw bytes. */
    private static byte[] eventWithBytes(int... raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes((HEAD + "\"properties\":{\"note\":\"a").getBytes(StandardCharsets.UTF_8));
        for (int b : raw) {
            out.write(b);
        }
        out.writeBytes("z\"}}".getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private static List<byte[]> corpus() {
        List<byte[]> events = new ArrayList<>();
        for (String rest : List.of(
                "\"properties\":{\"sku\":\"s-1\",\"price\":19.99,\"n\":7,\"big\":123456789012345678901234567890,"
                        + "\"ok\":true,\"no\":null,\"list\":[1,\"two\",{\"three\":[]}],\"empty\":{}}",
                "\"properties\":{},\"traits\":{\"email\":\"a@b.c\",\"age\":41}",
                "\"properties\":{\"é\":\"日本語\",\"emoji\":\"😀\",\"escaped\":\"\\n\\t\\\"\\\\\"}",
                // a pair of escapes is one character; an escaped backslash before "ud800" is no escape at all
                "\"properties\":{\"pair\":\"\\ud83d\\ude00\",\"backslash\":\"\\\\ud800\"}",
                // lone surrogates, as values and as keys, in properties and in traits
                "\"properties\":{\"a\":\"\\ud800\"}",
                "\"properties\":{\"a\":\"x\\uDC00y\"}",
                "\"properties\":{\"\\ud800\":1}",
                "\"traits\":{\"a\":[\"\\udfff\"]}",
                "\"properties\":{\"a\":\"\\ud800\\u0041\"}",
                // wrong shapes
                "\"properties\":[1,2]",
                "\"properties\":\"text\"",
                "\"properties\":7",
                "\"properties\":null,\"traits\":null",
                "\"traits\":[]",
                "\"properties\":{\"a\":1},\"properties\":{\"b\":2}",
                "\"properties\":{\"a\":1},\"properties\":\"later\"",
                "\"properties\":{\"a\":1,\"a\":2}",
                "\"traits\":{\"a\":{\"b\":1,\"c\":[{\"d\":1,\"d\":2}]},\"b\":{\"b\":1}}",
                // malformed JSON inside a part that is passed on unread
                "\"properties\":{\"a\":1,}",
                "\"properties\":{\"a\":NaN}",
                "\"properties\":{\"a\":01}",
                "\"properties\":{\"a\":\"\\x\"}",
                "\"properties\":{\"a\":\"\\u12\"}",
                "\"properties\":{\"a\" 1}",
                "\"properties\":{\"a\":[1,2}",
                "\"properties\":{\"a\":\"" + "9".repeat(2000) + "\",\"b\":" + "9".repeat(2000) + "}",
                "\"properties\":{\"a\":1." + "5".repeat(2000) + "}",
                "\"properties\":" + "{\"a\":".repeat(1500) + "1" + "}".repeat(1500),
                "\"properties\":{\"a\":\"tab\tinside\"}",
                // the other fields are judged as before
                "\"userId\":12345678901234567890,\"properties\":{}",
                "\"userId\":1.5",
                "\"userId\":{\"id\":1}",
                "\"userId\":\"\\ud800\"",
                "\"timestamp\":\"2026-11-25T11:00:00Z\",\"context\":{\"library\":{\"name\":\"analytics-java\"}}",
                "\"timestamp\":1700000000",
                "\"context\":{\"a\":\"\\udc00\"},\"properties\":{}",
                "\"integrations\":{\"All\":false},\"extra\":[1,{}],\"more\":1e5,\"neg\":-3")) {
            events.add(event(rest));
        }
        events.add("{\"type\":\"track\"}".getBytes(StandardCharsets.UTF_8));
        events.add("[{\"properties\":{}}]".getBytes(StandardCharsets.UTF_8));
        events.add("\"text\"".getBytes(StandardCharsets.UTF_8));
        events.add("{}".getBytes(StandardCharsets.UTF_8));
        // what follows a single call's object was never read, and is not now
        events.add((new String(event("\"properties\":{\"a\":1}"), StandardCharsets.UTF_8) + " trailing")
                .getBytes(StandardCharsets.UTF_8));
        // bodies Jackson detects as UTF-16 or UTF-32 are read as characters, without byte offsets
        String wide = new String(event("\"properties\":{\"a\":\"é\",\"n\":-2005630547},\"traits\":{\"b\":1}"),
                StandardCharsets.UTF_8);
        events.add(wide.getBytes(StandardCharsets.UTF_16BE));
        events.add(wide.getBytes(StandardCharsets.UTF_16LE));
        events.add(wide.getBytes(StandardCharsets.UTF_16));
        events.add(wide.getBytes(java.nio.charset.Charset.forName("UTF-32BE")));
        // raw bytes a tree would decode to an unpaired surrogate, or refuse as UTF-8
        events.add(eventWithBytes(0xED, 0xA0, 0x80));
        events.add(eventWithBytes(0xED, 0xBF, 0xBF));
        events.add(eventWithBytes(0xED, 0x9F, 0xBF));
        events.add(eventWithBytes(0xF4, 0x90, 0x80, 0x80));
        events.add(eventWithBytes(0xF4, 0x8F, 0xBF, 0xBF));
        events.add(eventWithBytes(0xF7, 0xBF, 0xBF, 0xBF));
        events.add(eventWithBytes(0xF8, 0x88, 0x80, 0x80, 0x80));
        events.add(eventWithBytes(0xC0, 0x80));
        events.add(eventWithBytes(0xC3, 0x28));
        events.add(eventWithBytes(0x80));
        events.add(eventWithBytes(0xE2, 0x82));
        events.add(eventWithBytes(0xFF));
        events.add(eventWithBytes(0x01));
        return events;
    }

    @Test
    void everyEventGetsTheAnswerAWholeTreeGivesIt() {
        List<String> differences = new ArrayList<>();
        int refusedOrMalformed = 0;
        for (byte[] json : corpus()) {
            Outcome tree = outcome(json, false);
            Outcome streamed = outcome(json, true);
            boolean same = (tree.error() != null) == (streamed.error() != null)
                    && Objects.equals(tree.refusedField(), streamed.refusedField())
                    && Objects.equals(tree.refusedReason(), streamed.refusedReason())
                    && sameRecord(tree.record(), streamed.record())
                    && sameJson(tree.asReceived(), streamed.asReceived());
            if (!same) {
                differences.add(new String(json, StandardCharsets.ISO_8859_1) + "\n  tree:     " + tree.describe()
                        + "\n  streamed: " + streamed.describe());
            }
            if (tree.record() == null) {
                refusedOrMalformed++;
            }
        }
        assertEquals(List.of(), differences);
        // The corpus is mostly hostile: a reader that accepted everything would differ above.
        assertTrue(refusedOrMalformed > 30, "refused or malformed: " + refusedOrMalformed);
    }

    /** The same event as dedup reads it: bytes may differ where a tree writes an escape the client did not. */
    private static boolean sameRecord(byte[] tree, byte[] streamed) {
        return tree == null || streamed == null ? tree == streamed : EventCodec.decode(tree).equals(EventCodec.decode(streamed));
    }

    private boolean sameJson(byte[] tree, byte[] streamed) {
        try {
            return tree == null || streamed == null ? tree == streamed : mapper.readTree(tree).equals(mapper.readTree(streamed));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void propertiesAndTraitsAreKeptAsTheBytesTheyArrivedIn() throws Exception {
        byte[] json = event("\"properties\":{\"price\":1.50,\"when\":1e3,\"s\":\"\\u00e9\"},\"traits\":{\"n\":{\"n\":1},\"m\":[{\"n\":1},{\"n\":2}]}");
        JsonNode message;
        try (JsonParser stream = mapper.getFactory().createParser(json)) {
            stream.nextToken();
            message = reader.read(stream, json);
        }
        assertNotNull(RawJsonObject.of(message.get("properties")));
        // A name may come again in another object: only a repeat within one object needs a tree.
        assertNotNull(RawJsonObject.of(message.get("traits")));
        assertNull(RawJsonObject.of(message.get("userId")));
        byte[] record = EventCodec.encode(parser.parse(message, EventType.TRACK, "web", RECEIVED, null));
        String text = new String(record, StandardCharsets.UTF_8);
        // A tree would have written 1.5, 1000.0 and é: the bytes keep what the client sent.
        assertTrue(text.contains("\"properties\":{\"price\":1.50,\"when\":1e3,\"s\":\"\\u00e9\"}"), text);
        assertEquals(mapper.readTree("{\"price\":1.50,\"when\":1e3,\"s\":\"é\"}"), EventCodec.decode(record).properties());
    }

    @Test
    void onlyWellFormedTextWithoutEscapedSurrogatesIsKeptAsBytes() {
        assertTrue(storable("\"é日本語😀 \\u00e9 \\\\ud800 \\ud7ff\""));
        assertFalse(storable("\"\\ud800\""));
        assertFalse(storable("\"\\uDBFF\""));
        assertFalse(storable("\"\\udc00\""));
        assertFalse(storable(0xED, 0xA0, 0x80));
        assertTrue(storable(0xED, 0x9F, 0xBF));
        assertFalse(storable(0xC0, 0x80));
        assertFalse(storable(0xE0, 0x80, 0x80));
        assertFalse(storable(0xF0, 0x80, 0x80, 0x80));
        assertTrue(storable(0xF4, 0x8F, 0xBF, 0xBF));
        assertFalse(storable(0xF4, 0x90, 0x80, 0x80));
        assertFalse(storable(0xE2, 0x82));
        assertFalse(storable(0xE2, 0x28, 0xA1));
        assertFalse(storable(0x80));
    }

    private static boolean storable(String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        return EventObjectReader.isStorableText(bytes, 0, bytes.length);
    }

    private static boolean storable(int... raw) {
        byte[] bytes = new byte[raw.length];
        for (int i = 0; i < raw.length; i++) {
            bytes[i] = (byte) raw[i];
        }
        return EventObjectReader.isStorableText(bytes, 0, bytes.length);
    }

    @Test
    void aBatchReadThroughItKeepsEachEventsSize() {
        String first = new String(event("\"properties\":{\"a\":\"é\"}"), StandardCharsets.UTF_8);
        String second = new String(event("\"traits\":{\"b\":[1,2]}"), StandardCharsets.UTF_8);
        TrackingRequestReader.Batch batch = new TrackingRequestReader(mapper)
                .batch(("{\"batch\":[" + first + "," + second + "]}").getBytes(StandardCharsets.UTF_8));
        assertEquals(first.getBytes(StandardCharsets.UTF_8).length, batch.elements().get(0).bytes());
        assertEquals(second.getBytes(StandardCharsets.UTF_8).length, batch.elements().get(1).bytes());
        assertArrayEquals("{\"b\":[1,2]}".getBytes(StandardCharsets.UTF_8),
                RawJsonObject.of(batch.elements().get(1).message().get("traits")).asUnquotedUTF8());
    }
}
