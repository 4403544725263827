package io.tidemark.event;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.junit.jupiter.api.Test;

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
        byte[] fast = EventCodec.encode(event);
        byte[] reference = beans.writeValueAsBytes(event);
        assertEquals(new String(reference), new String(fast));
        assertArrayEquals(reference, fast);
        assertEquals(event, EventCodec.decode(fast));
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
    void instantsBeyondYear9999AreWrittenAsJacksonWritesThem() throws Exception {
        assertSameAsEventCodec(new CollectedEvent(1, "ios", "m-3", EventType.TRACK, "Far", null, "u", null, null, null,
                null, null, null, null, Instant.parse("+12026-01-01T00:00:00Z"), Instant.parse("-0001-12-31T23:59:59.001Z"),
                null, Instant.parse("2026-01-01T00:00:00Z"), Set.of(EventFlag.SKEW_CORRECTED)));
    }
}
