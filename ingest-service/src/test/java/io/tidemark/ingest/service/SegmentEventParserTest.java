package io.tidemark.ingest.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventFlag;
import io.tidemark.event.EventType;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.tidemark.ingest.service.rejection.InvalidEventException;

class SegmentEventParserTest {

    private static final Instant RECEIVED = Instant.parse("2026-11-25T12:00:00Z");
    private final ObjectMapper mapper = new ObjectMapper();
    private final SegmentEventParser parser = new SegmentEventParser(
            WriteKeyAuthenticatorTest.config(Map.of("web", List.of("k"))));

    private CollectedEvent parse(String json) throws Exception {
        return parse(json, EventType.TRACK);
    }

    private CollectedEvent parse(String json, EventType type) throws Exception {
        return parser.parse(mapper.readTree(json), type, "web", RECEIVED, null);
    }

    private InvalidEventException invalid(String json) {
        return assertThrows(InvalidEventException.class, () -> parse(json));
    }

    @Test
    void aCompleteTrackCallKeepsEveryField() throws Exception {
        CollectedEvent event = parse("{\"messageId\":\"m-1\",\"userId\":\"u-1\",\"event\":\"Order Completed\","
                + "\"properties\":{\"revenue\":12.5},\"context\":{\"ip\":\"1.2.3.4\"},"
                + "\"timestamp\":\"2026-11-20T08:00:00.000Z\"}");
        assertEquals("web", event.source());
        assertEquals("m-1", event.messageId());
        assertEquals(EventType.TRACK, event.type());
        assertEquals("Order Completed", event.event());
        assertEquals(Instant.parse("2026-11-20T08:00:00Z"), event.timestamp());
        assertEquals(RECEIVED, event.receivedAt());
        assertEquals(12.5, event.properties().get("revenue").asDouble());
        assertEquals(List.of(EventFlag.TIME_UNCHECKED), List.copyOf(event.flags()));
    }

    @Test
    void aMissingMessageIdIsGeneratedAndFlagged() throws Exception {
        CollectedEvent event = parse("{\"anonymousId\":\"a-1\",\"event\":\"Viewed\"}");
        assertNotNull(event.messageId());
        assertTrue(event.flags().contains(EventFlag.GENERATED_MESSAGE_ID));
        assertEquals(RECEIVED, event.timestamp());
    }

    @Test
    void numericUserIdsAreKeptAsText() throws Exception {
        assertEquals("42", parse("{\"userId\":42,\"event\":\"Viewed\"}").userId());
    }

    @Test
    void aCallWithoutAnyUserNamesUserId() {
        assertEquals("userId", invalid("{\"event\":\"Viewed\"}").field());
    }

    @Test
    void aTrackCallWithoutEventNamesEvent() {
        assertEquals("event", invalid("{\"userId\":\"u\"}").field());
    }

    @Test
    void wrongTypesAndBadDatesNameTheirField() {
        assertEquals("properties", invalid("{\"userId\":\"u\",\"event\":\"e\",\"properties\":[1]}").field());
        assertEquals("timestamp", invalid("{\"userId\":\"u\",\"event\":\"e\",\"timestamp\":\"yesterday\"}").field());
        assertEquals("timestamp", invalid("{\"userId\":\"u\",\"event\":\"e\",\"timestamp\":12}").field());
        assertEquals("userId", invalid("{\"userId\":{\"a\":1},\"event\":\"e\"}").field());
        assertEquals("messageId", invalid("{\"userId\":\"u\",\"event\":\"e\",\"messageId\":\"" + "x".repeat(300) + "\"}").field());
        assertEquals("body", invalid("[1,2]").field());
    }

    @Test
    void groupNeedsGroupIdAndAliasNeedsPreviousId() throws Exception {
        assertEquals("groupId", assertThrows(InvalidEventException.class, () -> parser.parse(
                mapper.readTree("{\"userId\":\"u\"}"), EventType.GROUP, "web", RECEIVED, null)).field());
        assertEquals("previousId", assertThrows(InvalidEventException.class,
                () -> parse("{\"userId\":\"u\"}", EventType.ALIAS)).field());
        assertEquals("old", parse("{\"userId\":\"u\",\"previousId\":\"old\"}", EventType.ALIAS).previousId());
    }

    @Test
    void theBatchSentAtCorrectsSkewWhenTheMessageHasNone() throws Exception {
        CollectedEvent event = parser.parse(mapper.readTree("{\"userId\":\"u\",\"event\":\"e\","
                + "\"originalTimestamp\":\"2026-11-25T12:59:30Z\"}"), EventType.TRACK, "web", RECEIVED,
                Instant.parse("2026-11-25T13:00:00Z"));
        assertEquals(Instant.parse("2026-11-25T11:59:30Z"), event.timestamp());
    }

    @Test
    void theCallersTimestampWinsOverTheSdksOriginalTimestamp() throws Exception {
        // RudderStack's node SDK sends both: originalTimestamp is the time of the call.
        CollectedEvent event = parser.parse(mapper.readTree("{\"userId\":\"u\",\"event\":\"e\","
                + "\"timestamp\":\"2026-10-01T09:00:00Z\",\"originalTimestamp\":\"2026-11-25T11:59:59Z\","
                + "\"sentAt\":\"2026-11-25T12:00:00Z\"}"), EventType.TRACK, "web", RECEIVED, null);
        assertEquals(Instant.parse("2026-10-01T09:00:00Z"), event.timestamp());
        assertEquals(Instant.parse("2026-10-01T09:00:00Z"), event.originalTimestamp());
        assertTrue(event.flags().contains(EventFlag.TIME_CALLER_SET));
    }

    @Test
    void aLibraryThatStampsSentAtAtBatchCloseKeepsItsQueuedEventsOnTheirDay() throws Exception {
        CollectedEvent event = parser.parse(mapper.readTree("{\"userId\":\"u\",\"event\":\"e\","
                + "\"timestamp\":\"2026-11-22T08:00:00Z\",\"context\":{\"library\":{\"name\":\"analytics-kotlin\"}}}"),
                EventType.TRACK, "web", RECEIVED, Instant.parse("2026-11-22T08:00:30Z"));
        assertEquals(Instant.parse("2026-11-22T08:00:00Z"), event.timestamp());
        assertTrue(event.flags().contains(EventFlag.TIME_QUEUE_ASSUMED));
    }

    @Test
    void aScreensOrPagesCategoryIsKeptInItsProperties() throws Exception {
        // analytics-kotlin's screen(title, properties, category) sends the category beside the name.
        CollectedEvent screen = parse("{\"userId\":\"u\",\"name\":\"Checkout\","
                + "\"category\":\"Shop\",\"properties\":{\"step\":2}}", EventType.SCREEN);
        assertEquals(mapper.readTree("{\"step\":2,\"category\":\"Shop\"}"), screen.properties());
        CollectedEvent page = parse("{\"userId\":\"u\",\"name\":\"Home\",\"category\":\"Docs\"}", EventType.PAGE);
        assertEquals(mapper.readTree("{\"category\":\"Docs\"}"), page.properties());
    }

    @Test
    void theCallsCategoryWinsOverOneInItsPropertiesAsInAnalyticsNext() throws Exception {
        CollectedEvent page = parse("{\"userId\":\"u\",\"category\":\"Top\","
                + "\"properties\":{\"category\":\"Own\"}}", EventType.PAGE);
        assertEquals(mapper.readTree("{\"category\":\"Top\"}"), page.properties());
    }

    @Test
    void aCategoryKeptAsArrivedPropertiesIsAddedToThem() throws Exception {
        byte[] json = "{\"userId\":\"u\",\"name\":\"Cart\",\"category\":\"Shop\",\"properties\":{\"price\":1.50}}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        com.fasterxml.jackson.databind.JsonNode message;
        try (com.fasterxml.jackson.core.JsonParser stream = mapper.getFactory().createParser(json)) {
            stream.nextToken();
            message = new EventObjectReader(mapper).read(stream, json);
        }
        CollectedEvent screen = parser.parse(message, EventType.SCREEN, "web", RECEIVED, null);
        // Stored as sent but for the category: 1.50, not 1.5.
        String record = new String(io.tidemark.event.EventCodec.encode(screen), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(record.contains("\"properties\":{\"price\":1.50,\"category\":\"Shop\"}"), record);
    }

    @Test
    void aTracksCategoryIsNotAPageCategory() throws Exception {
        CollectedEvent track = parse("{\"userId\":\"u\",\"event\":\"Viewed\",\"category\":\"Shop\"}");
        assertEquals(null, track.properties());
    }

    @Test
    void aCategoryOfAnotherShapeIsLeftOutAndItsEventKept() throws Exception {
        CollectedEvent page = parse("{\"userId\":\"u\",\"category\":{\"a\":1},"
                + "\"properties\":{\"p\":1}}", EventType.PAGE);
        assertEquals(mapper.readTree("{\"p\":1}"), page.properties());
        CollectedEvent numbered = parse("{\"userId\":\"u\",\"category\":7}", EventType.PAGE);
        assertEquals(mapper.readTree("{\"category\":\"7\"}"), numbered.properties());
    }

    @Test
    void anAndroidPhoneBackAtItsFactoryDateHasItsEventsCorrectedNotRefused() throws Exception {
        // analytics-kotlin stamps sentAt when it closes a batch; a clock that far behind is no queue.
        CollectedEvent event = parse("{\"userId\":\"u\",\"event\":\"Opened\",\"timestamp\":\"2015-01-01T00:00:00Z\","
                + "\"sentAt\":\"2015-01-01T00:00:20Z\",\"context\":{\"library\":{\"name\":\"analytics-kotlin\","
                + "\"version\":\"1.19.2\"}}}");
        assertEquals(RECEIVED.minusSeconds(20), event.timestamp());
        assertTrue(event.flags().contains(EventFlag.SKEW_CORRECTED), event.flags().toString());
    }
}
