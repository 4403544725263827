package io.tidemark.event;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
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
}
