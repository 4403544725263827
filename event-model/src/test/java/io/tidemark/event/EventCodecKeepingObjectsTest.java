package io.tidemark.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link EventCodec#decodeKeepingObjects} against {@link EventCodec#decode} on the same records: the same
 * events and the same refusals, with each object kept as exactly the bytes it has in the record.
 */
class EventCodecKeepingObjectsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<Function<CollectedEvent, JsonNode>> OBJECTS = List.of(CollectedEvent::properties,
            CollectedEvent::traits, CollectedEvent::context, CollectedEvent::integrations);

    private static byte[] record(String objects) {
        return ("{\"v\":1,\"source\":\"web\",\"messageId\":\"m-1\",\"type\":\"track\",\"event\":\"Played\",\"userId\":\"u\","
                + objects + "\"timestamp\":\"2026-11-20T10:15:30.123Z\",\"receivedAt\":\"2026-11-20T10:15:33Z\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void randomObjectsDecodeToTheSameEventAndAreKeptAsTheirOwnBytes() throws Exception {
        Random random = new Random(20);
        int kept = 0;
        int readAsTrees = 0;
        for (int i = 0; i < 3_000; i++) {
            String properties = object(random, 0);
            String context = object(random, 0);
            String traits = random.nextBoolean() ? "\"traits\":" + object(random, 0) + "," : "";
            byte[] value = record("\"properties\":" + properties + ",\"context\" : " + context + "," + traits);
            CollectedEvent trees = EventCodec.decode(value);
            CollectedEvent raw = EventCodec.decodeKeepingObjects(value);
            assertEquals(withoutObjects(trees), withoutObjects(raw), properties);
            for (Function<CollectedEvent, JsonNode> object : OBJECTS) {
                JsonNode tree = object.apply(trees);
                JsonNode node = object.apply(raw);
                if (tree == null) {
                    assertNull(node);
                    continue;
                }
                RawJsonObject bytes = RawJsonObject.of(node);
                if (bytes != null) {
                    kept++;
                    assertTrue(new String(value, StandardCharsets.UTF_8).contains(bytes.getValue()), bytes.getValue());
                    assertEquals(tree, JSON.readTree(bytes.getValue()), bytes.getValue());
                    assertEquals(bytes.getValue(), StandardCharsets.UTF_8.decode(bytes.utf8()).toString());
                    assertEquals(bytes.getValue(), EventCodec.toJsonText(node));
                } else {
                    readAsTrees++;
                    assertEquals(tree, node);
                }
            }
            // Forwarded as it is (dedup's clean topic), the event reads back as the tree reader read it.
            assertEquals(trees, EventCodec.decode(EventCodec.encode(raw)));
        }
        // Objects with an escaped emoji are read as trees: both ways are tried.
        assertTrue(kept > 3_000 && readAsTrees > 1_000, kept + " objects kept as bytes, " + readAsTrees + " read as trees");
    }

    @Test
    void theTextOfAKeptObjectIsTheClientsOwnDigitsAndSpacing() {
        byte[] value = record("\"properties\": { \"price\" : 1.50, \"big\": 12345678901234567890.000001 },");
        JsonNode properties = EventCodec.decodeKeepingObjects(value).properties();
        assertNotNull(RawJsonObject.of(properties));
        assertEquals("{ \"price\" : 1.50, \"big\": 12345678901234567890.000001 }", EventCodec.toJsonText(properties));
    }

    @Test
    void aLoneSurrogateIsRefusedAsBeforeWhereverItIsWritten() {
        for (String properties : List.of("{\"a\":\"bad \\ud800 text\"}", "{\"nested\":[\"ok\",{\"b\":\"\\uDC00\"}]}",
                "{\"\\ud800\":1}")) {
            byte[] value = record("\"properties\":" + properties + ",");
            UndecodableEventException trees = assertThrows(UndecodableEventException.class, () -> EventCodec.decode(value));
            UndecodableEventException raw = assertThrows(UndecodableEventException.class,
                    () -> EventCodec.decodeKeepingObjects(value));
            // In a value the codec's own check refuses it; in a name Jackson's parser does, for both readers.
            assertEquals(properties.startsWith("{\"\\") ? "not a Tidemark event: Broken surrogate pair in field name"
                    : "malformed unicode in field: properties", trees.getMessage().split(":\\s*expected")[0]);
            assertEquals(trees.getMessage(), raw.getMessage());
        }
    }

    @Test
    void surrogatesInTheBytesOrInEscapesAreReadAsTheTreeReaderReadsThem() throws Exception {
        // A pair escaped (an emoji), a pair and a lone one encoded in UTF-8 bytes (CESU-8, not valid UTF-8).
        ByteArrayOutputStream cesuPair = new ByteArrayOutputStream();
        cesuPair.writeBytes("\"properties\":{\"e\":\"".getBytes(StandardCharsets.UTF_8));
        cesuPair.writeBytes(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0xBD, (byte) 0xED, (byte) 0xB8, (byte) 0x80});
        cesuPair.writeBytes("\"},".getBytes(StandardCharsets.UTF_8));
        ByteArrayOutputStream cesuLone = new ByteArrayOutputStream();
        cesuLone.writeBytes("\"properties\":{\"e\":\"".getBytes(StandardCharsets.UTF_8));
        cesuLone.writeBytes(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80});
        cesuLone.writeBytes("\"},".getBytes(StandardCharsets.UTF_8));
        int refusals = 0;
        for (byte[] value : List.of(record("\"properties\":{\"e\":\"\\ud83d\\ude00\"},"),
                splice(record("@"), cesuPair.toByteArray()), splice(record("@"), cesuLone.toByteArray()))) {
            CollectedEvent trees;
            try {
                trees = EventCodec.decode(value);
            } catch (UndecodableEventException refused) {
                // The same reason; Jackson's note of where differs, the object being read again on its own.
                assertEquals(refused.getMessage().lines().findFirst(), assertThrows(UndecodableEventException.class,
                        () -> EventCodec.decodeKeepingObjects(value)).getMessage().lines().findFirst());
                refusals++;
                continue;
            }
            CollectedEvent raw = EventCodec.decodeKeepingObjects(value);
            assertNull(RawJsonObject.of(raw.properties()), "read as a tree");
            assertEquals(trees, raw);
        }
        // Jackson refuses surrogates in UTF-8 bytes, paired or not; the escaped pair is an emoji.
        assertEquals(2, refusals);
    }

    @Test
    void aFieldThatIsNotAnObjectIsReadAsTheTreeReaderReadsIt() {
        for (String properties : List.of("null", "[1,{\"a\":2}]", "\"text\"", "42", "{}")) {
            byte[] value = record("\"properties\":" + properties + ",");
            CollectedEvent trees = EventCodec.decode(value);
            CollectedEvent raw = EventCodec.decodeKeepingObjects(value);
            if (properties.equals("{}")) {
                assertEquals("{}", EventCodec.toJsonText(raw.properties()));
                continue;
            }
            assertEquals(trees.properties(), raw.properties(), properties);
        }
        assertInstanceOf(NullNode.class, EventCodec.decodeKeepingObjects(record("\"properties\":null,")).properties());
    }

    @Test
    void aKeptObjectsBytesAreTheRecordsAndCannotBeWrittenThrough() {
        byte[] value = record("\"properties\":{\"plan\":\"pro\"},");
        ByteBuffer utf8 = RawJsonObject.of(EventCodec.decodeKeepingObjects(value).properties()).utf8();
        byte[] read = new byte[utf8.remaining()];
        utf8.duplicate().get(read);
        assertArrayEquals("{\"plan\":\"pro\"}".getBytes(StandardCharsets.UTF_8), read);
        assertTrue(utf8.isReadOnly());
    }

    @Test
    void garbageInsideAnObjectIsRefusedAsBefore() {
        for (String properties : List.of("{\"a\":}", "{\"a\":1", "{\"a\" 1}", "{\"a\":tru}", "{\"a\":\"\u0001\"}")) {
            byte[] value = record("\"properties\":" + properties + ",");
            assertThrows(UndecodableEventException.class, () -> EventCodec.decode(value), properties);
            assertThrows(UndecodableEventException.class, () -> EventCodec.decodeKeepingObjects(value), properties);
        }
    }

    private static byte[] splice(byte[] record, byte[] objects) {
        String text = new String(record, StandardCharsets.ISO_8859_1);
        int at = text.indexOf('@');
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(record, 0, at);
        out.writeBytes(objects);
        out.write(record, at + 1, record.length - at - 1);
        return out.toByteArray();
    }

    private static CollectedEvent withoutObjects(CollectedEvent e) {
        return new CollectedEvent(e.v(), e.source(), e.messageId(), e.type(), e.event(), e.name(), e.userId(),
                e.anonymousId(), e.groupId(), e.previousId(), null, null, null, null, e.timestamp(),
                e.originalTimestamp(), e.sentAt(), e.receivedAt(), e.flags());
    }

    /** A JSON object of random members, spacing, escapes, numbers and non-ASCII text, nested a little. */
    private static String object(Random random, int depth) {
        StringBuilder json = new StringBuilder("{");
        int members = random.nextInt(depth == 0 ? 6 : 3);
        for (int m = 0; m < members; m++) {
            json.append(m == 0 ? "" : ",").append(space(random)).append(text(random)).append(space(random)).append(':')
                    .append(space(random)).append(value(random, depth)).append(space(random));
        }
        return json.append('}').toString();
    }

    private static String value(Random random, int depth) {
        return switch (random.nextInt(depth < 2 ? 8 : 6)) {
            case 0 -> text(random);
            case 1 -> Integer.toString(random.nextInt());
            case 2 -> random.nextInt(1000) + "." + String.format("%03d", random.nextInt(1000));
            case 3 -> random.nextBoolean() ? "true" : "null";
            case 4 -> "-1.5e" + random.nextInt(40);
            case 5 -> "\"\"";
            case 6 -> object(random, depth + 1);
            default -> "[" + value(random, depth + 1) + "," + space(random) + value(random, depth + 1) + "]";
        };
    }

    private static String text(Random random) {
        String[] pieces = {"a", "sku", "é", "日本", "\\\"", "\\\\", "\\n", "\\u00e9", "\\u0041", "\\\\u00", "😀", "\\ud83d\\ude00",
                "/", "\\/", " "};
        StringBuilder text = new StringBuilder("\"");
        for (int i = random.nextInt(5); i >= 0; i--) {
            text.append(pieces[random.nextInt(pieces.length)]);
        }
        return text.append('"').toString();
    }

    private static String space(Random random) {
        return switch (random.nextInt(6)) {
            case 0 -> " ";
            case 1 -> "\n  ";
            default -> "";
        };
    }
}
