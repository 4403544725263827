package io.tidemark.ingest.service;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.event.EventType;
import io.tidemark.event.RawJsonObject;
import io.tidemark.ingest.config.IngestConfig;
import io.tidemark.ingest.service.rejection.InvalidEventException;
import io.tidemark.ingest.service.rejection.MalformedRequestException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

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
    private record Outcome(String error, String refusedField, String refusedReason, byte[] record, byte[] asReceived,
            ClientLibrary library) {

        String describe() {
            return error != null ? "malformed JSON" : refusedField != null ? refusedField + ": " + refusedReason
                    : new String(record, StandardCharsets.UTF_8) + " " + library;
        }
    }

    private Outcome outcome(byte[] json, boolean streamed) {
        JsonNode message;
        try {
            message = streamed ? new TrackingRequestReader(mapper).single(json) : mapper.readTree(json);
        } catch (MalformedRequestException e) {
            return new Outcome(e.getMessage(), null, null, null, null, null);
        } catch (JsonProcessingException e) {
            return new Outcome(e.getOriginalMessage(), null, null, null, null, null);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        byte[] asReceived;
        try {
            asReceived = mapper.writeValueAsBytes(message);
        } catch (JsonProcessingException e) {
            throw new AssertionError(e);
        }
        // What the metrics count an event (or its refusal) under, and what decides batch stamping.
        ClientLibrary library = message.isObject() ? ClientLibrary.of(message.get("context")) : null;
        try {
            CollectedEvent event = parser.parse(message, EventType.TRACK, "web", RECEIVED, null);
            return new Outcome(null, null, null, EventCodec.encode(event), asReceived, library);
        } catch (InvalidEventException e) {
            return new Outcome(null, e.field(), e.reason(), null, asReceived, library);
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
                "\"integrations\":{\"All\":false},\"extra\":[1,{}],\"more\":1e5,\"neg\":-3",
                // contexts: passed on as bytes, with the library read on the way where it is an object of strings
                "\"context\":{\"library\":{\"name\":\"analytics-java\",\"version\":\"3.5.4\"},\"ip\":\"1.2.3.4\"}",
                "\"context\":{\"app\":{\"name\":\"App\",\"version\":\"2\"},\"os\":{\"name\":\"iOS\"},\"library\":{\"version\":\"1\"}}",
                "\"context\":{\"library\":{\"meta\":{\"name\":\"inner\",\"x\":[{\"version\":\"v\"}]},\"name\":\"outer\"}}",
                "\"context\":{\"library\":{\"name\":\" \",\"version\":\"\"}}",
                "\"context\":{\"library\":{\"name\":\"" + "n".repeat(100) + "\",\"version\":\"" + "v".repeat(40) + "\"}}",
                "\"context\":{\"library\":{\"name\":\"analytics-\\u006aava\",\"version\":\"\\u00e9\"},\"locale\":\"fr\"}",
                "\"context\":{\"library\":{\"name\":7,\"version\":1.50}}",
                "\"context\":{\"library\":{\"name\":null,\"version\":true}}",
                "\"context\":{\"library\":{\"name\":{\"a\":1},\"version\":[\"1\"]}}",
                "\"context\":{\"library\":\"analytics-java\"}",
                "\"context\":{\"library\":[{\"name\":\"x\"}]}",
                "\"context\":{\"library\":null}",
                "\"context\":{\"library\":{}}",
                "\"context\":{}",
                "\"context\":{\"app\":{\"library\":{\"name\":\"deep\"}}}",
                "\"context\":{\"library\":{\"name\":\"a\"},\"library\":{\"name\":\"b\"}}",
                "\"context\":{\"library\":{\"name\":\"a\",\"name\":\"b\"}}",
                "\"context\":{\"library\":{\"name\":\"\\ud83d\\ude00\"}}",
                "\"context\":{\"library\":{\"name\":\"a\"}},\"context\":{\"library\":{\"name\":\"b\"}}",
                "\"context\":{\"library\":{\"name\":\"a\",}}",
                "\"context\":\"web\"",
                "\"context\":[{\"library\":{\"name\":\"a\"}}]",
                "\"context\":null",
                // a library whose events are stamped at the batch's sending time: its name decides the event time
                "\"timestamp\":\"2026-11-25T11:00:00Z\",\"sentAt\":\"2026-11-25T11:59:00Z\","
                        + "\"context\":{\"device\":{\"id\":\"d\"},\"library\":{\"name\":\"analytics-kotlin\",\"version\":\"1.19.2\"}}",
                "\"timestamp\":\"2026-11-25T11:00:00Z\",\"sentAt\":\"2026-11-25T11:59:00Z\","
                        + "\"context\":{\"library\":{\"name\":\"analytics-\\u006botlin\"}}",
                "\"timestamp\":\"2026-11-25T11:00:00Z\",\"sentAt\":\"2026-11-25T11:59:00Z\","
                        + "\"context\":{\"library\":{\"name\":\"analytics-kotlin\",\"name\":\"other\"}}")) {
            events.add(event(rest));
        }
        events.add("{\"type\":\"track\"}".getBytes(StandardCharsets.UTF_8));
        events.add("[{\"properties\":{}}]".getBytes(StandardCharsets.UTF_8));
        events.add("\"text\"".getBytes(StandardCharsets.UTF_8));
        events.add("{}".getBytes(StandardCharsets.UTF_8));
        // what follows a single call's object was never read, and is not now
        events.add((new String(event("\"properties\":{\"a\":1}"), StandardCharsets.UTF_8) + " trailing")
                .getBytes(StandardCharsets.UTF_8));
        // Bodies Jackson detects as UTF-16 or UTF-32 never get here: TrackingRequestReader refuses them
        // (TrackingRequestReaderTest), since every size it counts is in bytes and they have none.
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
                    && sameJson(tree.asReceived(), streamed.asReceived())
                    && Objects.equals(tree.library(), streamed.library());
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
        // The same, at every offset within and across the eight-byte words the check reads at once.
        for (int padding = 0; padding < 17; padding++) {
            String ascii = "a".repeat(padding);
            assertTrue(storable("\"" + ascii + "\\u00e9" + ascii + "é\""), ascii);
            assertFalse(storable("\"" + ascii + "\\ud800" + ascii + "\""), ascii);
            assertTrue(storable("\"" + ascii + "\\\\ud800" + ascii + "\""), ascii);
            assertFalse(storable(padded(padding, 0xED, 0xA0, 0x80)), ascii);
            assertFalse(storable(padded(padding, 0xC0, 0x80)), ascii);
            assertTrue(storable(padded(padding, 0xF0, 0x9F, 0x98, 0x80)), ascii);
            assertFalse(storable(padded(padding, 0xE2, 0x82)), ascii);
        }
    }

    /** Raw bytes after {@code padding} ASCII letters and before as many again. */
    private static int[] padded(int padding, int... raw) {
        int[] bytes = new int[2 * padding + raw.length];
        java.util.Arrays.fill(bytes, 'a');
        System.arraycopy(raw, 0, bytes, padding, raw.length);
        return bytes;
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

    /**
     * A batch's context fills what each event's own leaves out: an event context kept as bytes is read
     * into a tree for that, and every event gets what a whole tree gives it, with the same library counted.
     */
    @Test
    void aBatchsContextMergesIntoEventContextsKeptAsBytesAsIntoTrees() throws Exception {
        IngestConfig config = WriteKeyAuthenticatorTest.config(Map.of("web", List.of("k")), new IngestConfig.Sdk() {
            public Optional<String> apiHost() {
                return Optional.empty();
            }

            public Optional<String> protocol() {
                return Optional.empty();
            }

            public Duration settingsMaxAge() {
                return Duration.ofMinutes(5);
            }

            public Duration tagMaxAge() {
                return Duration.ofHours(1);
            }

            public int maxLibraries() {
                return 100;
            }
        });
        SimpleMeterRegistry bytesCounted = new SimpleMeterRegistry();
        SimpleMeterRegistry treesCounted = new SimpleMeterRegistry();
        IngestMetrics metrics = new IngestMetrics(bytesCounted, config);
        EventNormalizer normalizer = new EventNormalizer(parser, metrics, mapper, config);
        EventNormalizer treeNormalizer = new EventNormalizer(parser, new IngestMetrics(treesCounted, config), mapper, config);
        String events = String.join(",",
                HEAD + "\"context\":{\"library\":{\"name\":\"own\",\"version\":\"1\"},\"app\":{\"build\":\"7\"}}}",
                HEAD + "\"properties\":{\"a\":1}}",
                HEAD + "\"context\":{\"ip\":\"1.1.1.1\",\"app\":{\"name\":\"Own\"}}}",
                HEAD + "\"context\":{\"library\":null}}",
                HEAD + "\"context\":\"text\"}",
                HEAD + "\"context\":{\"library\":{\"name\":\"analytics-kotlin\"}},\"timestamp\":\"2026-11-25T11:00:00Z\"}",
                "{\"type\":\"track\",\"event\":\"No user\",\"context\":{\"library\":{\"name\":\"refused\"}}}",
                // refused before the batch's context is merged in: its own context is still bytes then
                "{\"userId\":\"u-1\",\"event\":\"No type\",\"context\":{\"library\":{\"name\":\"refused\"}}}");
        List<String> bodies = List.of(
                "{\"batch\":[" + events + "],\"sentAt\":\"2026-11-25T11:59:00Z\",\"context\":{\"library\":"
                        + "{\"name\":\"batch\",\"version\":\"9\"},\"ip\":\"9.9.9.9\",\"app\":{\"name\":\"A\",\"build\":\"1\"}}}",
                "{\"context\":{\"library\":{\"name\":\"analytics-kotlin\"},\"os\":{\"name\":\"Android\"}},\"batch\":[" + events + "]}",
                "{\"batch\":[" + events + "],\"sentAt\":\"2026-11-25T11:59:00Z\"}");
        for (String body : bodies) {
            byte[] json = body.getBytes(StandardCharsets.UTF_8);
            TrackingRequestReader.Batch streamed = new TrackingRequestReader(mapper).batch(json);
            List<TrackingRequestReader.BatchElement> trees = new ArrayList<>();
            JsonNode whole = mapper.readTree(json).get("batch");
            for (int i = 0; i < whole.size(); i++) {
                trees.add(new TrackingRequestReader.BatchElement(whole.get(i), streamed.elements().get(i).bytes()));
            }
            EventNormalizer.Envelope envelope = normalizer.envelope("web", streamed);
            EventNormalizer.Normalized fromBytes = normalizer.batch("web", Channel.HTTP, streamed.elements(),
                    envelope.defaults(), envelope.sentAt(), RECEIVED);
            EventNormalizer.Normalized fromTrees = treeNormalizer.batch("web", Channel.HTTP, trees,
                    EventNormalizer.BatchDefaults.of(streamed), envelope.sentAt(), RECEIVED);
            // A context that is not an object is refused, with or without a batch context.
            assertEquals(5, fromTrees.accepted().size(), body);
            assertEquals(asStored(fromTrees.accepted()), asStored(fromBytes.accepted()), body);
            assertEquals(fromTrees.rejected(), fromBytes.rejected(), body);
            assertEquals(metrics.tally(fromTrees.accepted()), metrics.tally(fromBytes.accepted()), body);
            assertEquals(3, fromBytes.refused().size(), body);
            for (int i = 0; i < 3; i++) {
                assertEquals(mapper.readTree(fromTrees.refused().get(i).value()),
                        mapper.readTree(fromBytes.refused().get(i).value()), body);
            }
        }
        // Refused events are counted under their own library, or the batch's where they name none.
        assertEquals(counts(treesCounted), counts(bytesCounted));
        assertEquals(6.0, counts(bytesCounted).get("tidemark.ingest.client.events [library=refused, outcome=rejected]"), counts(bytesCounted).toString());
        // An event's own context was kept as bytes where no batch context had to be merged into it.
        TrackingRequestReader.Batch plain = new TrackingRequestReader(mapper).batch(bodies.get(2).getBytes(StandardCharsets.UTF_8));
        assertTrue(plain.elements().get(0).message().get("context") instanceof RawContext);
        assertEquals(new ClientLibrary("own", "1"), ClientLibrary.of(plain.elements().get(0).message().get("context")));
    }

    private static List<CollectedEvent> asStored(List<CollectedEvent> events) {
        return events.stream().map(event -> EventCodec.decode(EventCodec.encode(event))).toList();
    }

    private static Map<String, Double> counts(SimpleMeterRegistry registry) {
        Map<String, Double> counts = new java.util.TreeMap<>();
        registry.getMeters().stream().filter(meter -> meter instanceof io.micrometer.core.instrument.Counter)
                .forEach(meter -> counts.merge(meter.getId().getName() + " " + meter.getId().getTags().stream()
                        .filter(tag -> tag.getKey().equals("library") || tag.getKey().equals("outcome"))
                        .map(tag -> tag.getKey() + "=" + tag.getValue()).toList(),
                        ((io.micrometer.core.instrument.Counter) meter).count(), Double::sum));
        return counts;
    }
}
