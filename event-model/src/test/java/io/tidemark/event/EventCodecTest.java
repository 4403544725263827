package io.tidemark.event;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventCodecTest {

    private static CollectedEvent sample() throws Exception {
        return new CollectedEvent(CollectedEvent.FORMAT_VERSION, "web", "m-1", EventType.TRACK, "Signed Up", null,
                "u-1", null, null, null, new ObjectMapper().readTree("{\"plan\":\"pro\"}"), null, null, null,
                Instant.parse("2026-11-20T10:15:30.123Z"), Instant.parse("2026-11-20T10:15:31Z"),
                Instant.parse("2026-11-20T10:15:32Z"), Instant.parse("2026-11-20T10:15:33Z"),
                Set.of(EventFlag.SKEW_CORRECTED));
    }

    @Test
    void encodedEventDecodesToTheSameEvent() throws Exception {
        CollectedEvent event = sample();
        assertEquals(event, EventCodec.decode(EventCodec.encode(event)));
    }

    @Test
    void wireFormIsCompactWithLowerCaseNamesAndIsoTimes() throws Exception {
        String json = new String(EventCodec.encode(sample()), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"type\":\"track\""), json);
        assertTrue(json.contains("\"timestamp\":\"2026-11-20T10:15:30.123Z\""), json);
        assertTrue(json.contains("\"flags\":[\"skew_corrected\"]"), json);
        assertTrue(!json.contains("null"), json);
    }

    @Test
    void anEventThatCannotBeWrittenFailsAndTheNextIsWrittenWhole() throws Exception {
        // A value Jackson cannot serialise fails the encoder halfway through an object.
        CollectedEvent unwritable = new CollectedEvent(CollectedEvent.FORMAT_VERSION, "web", "m-2", EventType.TRACK, "x",
                null, "u-1", null, null, null, JsonNodeFactory.instance.objectNode().putPOJO("p", new Object()), null, null,
                null, Instant.parse("2026-11-20T10:15:30Z"), null, null, Instant.parse("2026-11-20T10:15:33Z"), Set.of());
        assertThrows(UncheckedIOException.class, () -> EventCodec.encode(unwritable));
        CollectedEvent event = sample();
        assertEquals(event, EventCodec.decode(EventCodec.encode(event)));
    }

    @Test
    void aRawObjectIsWrittenAsItsBytesByTheCodecAndByJackson() throws Exception {
        byte[] request = "[{\"price\":1.50,\"s\":\"\\u00e9\"}]".getBytes(StandardCharsets.UTF_8);
        var properties = RawJsonObject.node(request, 1, request.length - 2);
        CollectedEvent sample = sample();
        CollectedEvent event = new CollectedEvent(sample.v(), sample.source(), sample.messageId(), sample.type(),
                sample.event(), null, sample.userId(), null, null, null, properties, null, null, null, sample.timestamp(),
                null, null, sample.receivedAt(), Set.of());
        String json = new String(EventCodec.encode(event), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"properties\":{\"price\":1.50,\"s\":\"\\u00e9\"},\"timestamp\""), json);
        ObjectMapper mapper = new ObjectMapper();
        assertEquals(mapper.readTree("{\"price\":1.50,\"s\":\"é\"}"), EventCodec.decode(EventCodec.encode(event)).properties());
        assertEquals("{\"p\":{\"price\":1.50,\"s\":\"\\u00e9\"}}",
                mapper.writeValueAsString(JsonNodeFactory.instance.objectNode().set("p", properties)));
    }

    @Test
    void garbageIsUndecodableWithAReason() {
        UndecodableEventException e = assertThrows(UndecodableEventException.class,
                () -> EventCodec.decode("{not json".getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().startsWith("not a Tidemark event"), e.getMessage());
    }

    @Test
    void unknownFormatVersionIsRefused() {
        String json = "{\"v\":99,\"source\":\"web\",\"messageId\":\"m\",\"type\":\"track\",\"userId\":\"u\","
                + "\"timestamp\":\"2026-01-01T00:00:00Z\",\"receivedAt\":\"2026-01-01T00:00:00Z\"}";
        UndecodableEventException e = assertThrows(UndecodableEventException.class,
                () -> EventCodec.decode(json.getBytes(StandardCharsets.UTF_8)));
        assertEquals("unsupported format version 99", e.getMessage());
    }

    @Test
    void eventWithoutAnyUserIsRefused() {
        String json = "{\"v\":1,\"source\":\"web\",\"messageId\":\"m\",\"type\":\"track\","
                + "\"timestamp\":\"2026-01-01T00:00:00Z\",\"receivedAt\":\"2026-01-01T00:00:00Z\"}";
        UndecodableEventException e = assertThrows(UndecodableEventException.class,
                () -> EventCodec.decode(json.getBytes(StandardCharsets.UTF_8)));
        assertEquals("missing field: userId or anonymousId", e.getMessage());
    }

    @Test
    void loneSurrogateThatNoDatabaseCanStoreIsRefusedNamingTheField() {
        String json = "{\"v\":1,\"source\":\"web\",\"messageId\":\"m\",\"type\":\"track\",\"userId\":\"u\","
                + "\"properties\":{\"nested\":[\"ok\",\"bad \\ud800 text\"]},"
                + "\"timestamp\":\"2026-01-01T00:00:00Z\",\"receivedAt\":\"2026-01-01T00:00:00Z\"}";
        UndecodableEventException e = assertThrows(UndecodableEventException.class,
                () -> EventCodec.decode(json.getBytes(StandardCharsets.UTF_8)));
        assertEquals("malformed unicode in field: properties", e.getMessage());
    }

    @Test
    void surrogatePairsOfEmojiAreKept() {
        String json = "{\"v\":1,\"source\":\"web\",\"messageId\":\"m\",\"type\":\"track\",\"userId\":\"u\","
                + "\"event\":\"Liked \\ud83d\\ude00\","
                + "\"timestamp\":\"2026-01-01T00:00:00Z\",\"receivedAt\":\"2026-01-01T00:00:00Z\"}";
        assertEquals("Liked \uD83D\uDE00", EventCodec.decode(json.getBytes(StandardCharsets.UTF_8)).event());
    }

    @Test
    void eventsSharingARequestsTimesAndEventsThatDoNotAreEachWrittenWithTheirOwn() throws Exception {
        CollectedEvent sample = sample();
        Instant farFuture = Instant.parse("+10000-01-01T00:00:00Z");
        Instant[][] sentAndReceived = {{sample.sentAt(), sample.receivedAt()}, {sample.sentAt(), sample.receivedAt()},
                {null, sample.receivedAt()}, {sample.sentAt(), sample.receivedAt().plusNanos(1)}, {farFuture, farFuture},
                {farFuture, farFuture}, {sample.sentAt(), sample.receivedAt()}};
        for (Instant[] times : sentAndReceived) {
            CollectedEvent event = new CollectedEvent(sample.v(), sample.source(), sample.messageId(), sample.type(),
                    sample.event(), null, sample.userId(), null, null, null, null, null, null, null, sample.timestamp(),
                    sample.originalTimestamp(), times[0], times[1], Set.of());
            String json = new String(EventCodec.encode(event), StandardCharsets.UTF_8);
            assertEquals(new ObjectMapper().registerModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
                    .disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                    .setSerializationInclusion(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                    .writeValueAsString(event), json);
            assertEquals(event, EventCodec.decode(json.getBytes(StandardCharsets.UTF_8)));
        }
    }

    /**
     * Decoding reads the common instant shape by hand: every text, common or not, must decode to what
     * Jackson's own Instant deserializer makes of it, or be refused where that refuses it.
     */
    @Test
    void instantsDecodeExactlyAsJacksonsOwnDeserializerDecodesThem() throws Exception {
        ObjectMapper jackson = new ObjectMapper().registerModule(new JavaTimeModule())
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        ObjectNode record = (ObjectNode) jackson.readTree(EventCodec.encode(sample()));
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        List<JsonNode> values = new ArrayList<>(List.of(
                nodes.numberNode(1_700_000_000L), nodes.numberNode(1_700_000_000.25), nodes.nullNode(), nodes.booleanNode(true)));
        for (String text : List.of("2026-11-20T10:15:30Z", "2026-11-20T10:15:30.5Z", "2026-11-20T10:15:30.123456789Z",
                "2026-11-20T10:15:30.1234567890Z", "2026-11-20T10:15:30+01:00", "2026-11-20T10:15:30-18:00",
                "2026-11-20T10:15:30+18:30", "2026-11-20T10:15:30+0100", "2026-11-20T10:15:30+01", "2026-11-20t10:15:30z",
                "2026-11-20T23:59:60Z", "2026-11-20T24:00:00Z", "2026-02-29T00:00:00Z", "2024-02-29T00:00:00Z",
                "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "+10000-01-01T00:00:00Z", "-0001-01-01T00:00:00Z",
                " 2026-11-20T10:15:30Z ", "", "1700000000", "1700000000.5", "2026-11-20T10:15Z", "2026-11-20", "now",
                "2026-11-20T10:15:30.Z", "٢٠٢٦-11-20T10:15:30Z")) {
            values.add(nodes.textNode(text));
        }
        Random random = new Random(11);
        for (int i = 0; i < 5_000; i++) {
            String fraction = random.nextInt(3) == 0 ? "" : "." + "123456789012".substring(0, 1 + random.nextInt(11));
            String offset = switch (random.nextInt(3)) {
                case 0 -> "Z";
                case 1 -> "%s%02d:%02d".formatted(random.nextBoolean() ? "+" : "-", random.nextInt(20), random.nextInt(61));
                default -> "";
            };
            values.add(nodes.textNode("%04d-%02d-%02dT%02d:%02d:%02d".formatted(random.nextInt(10_000), random.nextInt(14),
                    random.nextInt(33), random.nextInt(25), random.nextInt(61), random.nextInt(62)) + fraction + offset));
        }
        for (JsonNode value : values) {
            byte[] bytes = jackson.writeValueAsBytes(record.deepCopy().set("timestamp", value));
            Instant expected;
            try {
                expected = jackson.readValue(bytes, CollectedEvent.class).timestamp();
            } catch (Exception refused) {
                expected = null;
            }
            if (expected == null) {
                assertThrows(UndecodableEventException.class, () -> EventCodec.decode(bytes), value.toString());
            } else {
                assertEquals(expected, EventCodec.decode(bytes).timestamp(), value.toString());
            }
        }
    }
}
