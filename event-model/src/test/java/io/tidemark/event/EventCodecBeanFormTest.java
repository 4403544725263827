package io.tidemark.event;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link EventCodec#encode} writes field by field for speed; the form it must keep is Jackson's bean
 * serialisation of {@link CollectedEvent} (java.time instants as ISO-8601 text, nulls left out), which
 * is what every reader of the topic was written against.
 */
class EventCodecBeanFormTest {

    private final ObjectMapper mapper = new ObjectMapper();
    private final ObjectMapper beans = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    private void assertSameAsEventCodec(CollectedEvent event) throws Exception {
        assertEquals(event, EventCodec.decode(assertSameBytes(event)));
    }

    private byte[] assertSameBytes(CollectedEvent event) throws Exception {
        byte[] fast = EventCodec.encode(event);
        byte[] reference = beans.writeValueAsBytes(event);
        assertEquals(new String(reference), new String(fast));
        assertArrayEquals(reference, fast);
        return fast;
    }

    @Test
    void aFullEventIsWrittenByteForByteAsJacksonWritesTheBean() throws Exception {
        assertSameAsEventCodec(new CollectedEvent(1, "web", "m-1", EventType.TRACK, "Order \"Completed\" ✓", "n",
                "u-1", "a-1", "g-1", "p-1",
                mapper.readTree("{\"revenue\":12.5,\"n\":null,\"list\":[1,\"two\",{\"x\":false}],\"big\":12345678901234567890}"),
                mapper.readTree("{\"email\":\"ada@example.com\"}"), mapper.readTree("{\"ip\":\"1.2.3.4\",\"library\":{\"name\":\"x\"}}"),
                mapper.readTree("{\"All\":true}"), Instant.parse("2026-11-20T08:00:00Z"),
                Instant.parse("2026-11-20T08:00:00.120Z"), Instant.parse("2026-11-20T08:00:01.000123Z"),
                Instant.parse("2026-11-25T12:00:00.123456789Z"),
                EnumSet.of(EventFlag.GENERATED_MESSAGE_ID, EventFlag.SKEW_CORRECTED, EventFlag.FUTURE_TIMESTAMP_CLAMPED)));
    }

    @Test
    void absentPartsAreLeftOutAndNoFlagsIsAnEmptyList() throws Exception {
        assertSameAsEventCodec(new CollectedEvent(1, "ios", "m-2", EventType.IDENTIFY, null, null, null, "a", null, null,
                null, null, null, null, Instant.parse("2026-01-01T00:00:00Z"), null, null,
                Instant.parse("2026-01-01T00:00:00.5Z"), Set.of()));
    }

    @Test
    void numbersOfEveryKindAreWrittenAsJacksonWritesThem() throws Exception {
        ObjectMapper exact = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);
        ObjectNode built = JsonNodeFactory.instance.objectNode();
        built.put("short", (short) 7).put("int", -3).put("long", 1L << 40).put("float", 1.25f).put("double", 1e-7)
                .put("decimal", new BigDecimal("1.50")).put("big", new BigInteger("123456789012345678901234567890"));
        // Decoded, decimals come back as doubles; the bytes are what must not change.
        assertSameBytes(new CollectedEvent(1, "web", "m-4", EventType.TRACK, "Numbers", null, "u", null, null, null,
                exact.readTree("{\"a\":12.50,\"b\":3,\"c\":[1e3,-0.0]}"), built, mapper.readTree("{\"d\":1.0E10}"),
                null, Instant.parse("2026-01-01T00:00:00Z"), null, null, Instant.parse("2026-01-01T00:00:01Z"), Set.of()));
    }

    @Test
    void eventsEncodedOneAfterAnotherOnOneThreadAreEachWritten() throws Exception {
        // The encoder keeps its generator and buffer between events: nothing of one may reach the next.
        CollectedEvent small = new CollectedEvent(1, "ios", "m-5", EventType.PAGE, null, "Home", null, "a", null, null,
                null, null, null, null, Instant.parse("2026-01-01T00:00:00Z"), null, null,
                Instant.parse("2026-01-01T00:00:00.5Z"), Set.of());
        ObjectNode large = JsonNodeFactory.instance.objectNode().put("text", "x".repeat(20_000));
        CollectedEvent big = new CollectedEvent(1, "web", "m-6", EventType.TRACK, "Big", null, "u", null, null, null,
                large, null, null, null, Instant.parse("2026-01-01T00:00:00Z"), null, null,
                Instant.parse("2026-01-01T00:00:01Z"), Set.of());
        for (CollectedEvent event : new CollectedEvent[] {small, big, small, small, big, small}) {
            assertSameAsEventCodec(event);
        }
    }

    @Test
    void instantsBeyondYear9999AreWrittenAsJacksonWritesThem() throws Exception {
        assertSameAsEventCodec(new CollectedEvent(1, "ios", "m-3", EventType.TRACK, "Far", null, "u", null, null, null,
                null, null, null, null, Instant.parse("+12026-01-01T00:00:00Z"), Instant.parse("-0001-12-31T23:59:59.001Z"),
                null, Instant.parse("2026-01-01T00:00:00Z"), Set.of(EventFlag.SKEW_CORRECTED)));
    }
}
