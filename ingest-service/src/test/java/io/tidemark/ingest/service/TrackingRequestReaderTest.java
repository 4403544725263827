package io.tidemark.ingest.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import io.tidemark.ingest.service.rejection.MalformedRequestException;

class TrackingRequestReaderTest {

    private final TrackingRequestReader reader = new TrackingRequestReader(new ObjectMapper());

    private static byte[] utf8(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aBatchIsSplitIntoEventsWithTheirSizeInBytes() {
        String first = "{\"type\":\"track\",\"event\":\"é\"}";
        String second = "{\"type\":\"identify\"}";
        TrackingRequestReader.Batch batch = reader.batch(utf8("{\"writeKey\":\"k\",\"batch\":[" + first + " , " + second
                + "],\"context\":{\"ip\":\"1.2.3.4\"},\"sentAt\":\"2026-11-25T12:00:00Z\",\"other\":[1,{\"a\":2}]}"));
        assertEquals(2, batch.elements().size());
        assertEquals(utf8(first).length, batch.elements().get(0).bytes());
        assertEquals(utf8(second).length, batch.elements().get(1).bytes());
        assertEquals("track", batch.elements().get(0).message().get("type").asText());
        assertEquals("1.2.3.4", batch.context().get("ip").asText());
        assertEquals("2026-11-25T12:00:00Z", batch.sentAt().asText());
        assertEquals("{\"ip\":\"1.2.3.4\"}".length(), batch.defaultsBytes());
    }

    @Test
    void theWriteKeyIsFoundWithoutReadingTheEventsIntoTrees() {
        assertEquals("k", reader.writeKey(utf8("{\"batch\":[{\"a\":[1,2,{\"writeKey\":\"inner\"}]}],\"writeKey\":\"k\"}")));
        assertEquals(null, reader.writeKey(utf8("{\"batch\":[],\"context\":{\"writeKey\":\"inner\"}}")));
        assertEquals(null, reader.writeKey(utf8("[1]")));
        assertThrows(MalformedRequestException.class, () -> reader.writeKey(utf8("{\"batch\":[")));
    }

    @Test
    void scalarsInABatchAreElementsTooSoTheyCanBeRejectedOneByOne() {
        assertEquals(3, reader.batch(utf8("{\"batch\":[1,\"x\",{}]}")).elements().size());
    }

    @Test
    void aBatchWithoutItsArrayNamesBatch() {
        assertEquals("batch", assertThrows(MalformedRequestException.class,
                () -> reader.batch(utf8("{\"sentAt\":\"2026-11-25T12:00:00Z\"}"))).field());
        assertEquals("batch", assertThrows(MalformedRequestException.class,
                () -> reader.batch(utf8("{\"batch\":{}}"))).field());
    }

    @Test
    void truncatedOrTrailingJsonIsMalformed() {
        assertThrows(MalformedRequestException.class, () -> reader.batch(utf8("{\"batch\":[{\"type\":\"track\"}")));
        assertThrows(MalformedRequestException.class, () -> reader.batch(utf8("{\"batch\":[]} {}")));
        assertThrows(MalformedRequestException.class, () -> reader.batch(utf8("[]")));
        assertThrows(MalformedRequestException.class, () -> reader.single(utf8("{\"userId\":")));
        assertThrows(MalformedRequestException.class, () -> reader.single(new byte[0]));
    }

    @Test
    void aBodyInAnotherUnicodeEncodingIsRefusedForItsSizesWouldReadZero() {
        // 40 KB of properties and a batch context: in UTF-16 or UTF-32 Jackson gives no byte offsets, so
        // the sizes the event limit and the copies check rest on would read 0.
        String event = "{\"type\":\"track\",\"properties\":{\"p\":\"" + "p".repeat(40_000) + "\"}}";
        String batch = "{\"batch\":[" + event + "," + event + "],\"context\":{\"c\":\"" + "c".repeat(1_000) + "\"}}";
        for (Charset wide : List.of(StandardCharsets.UTF_16, StandardCharsets.UTF_16LE, StandardCharsets.UTF_16BE,
                Charset.forName("UTF-32BE"), Charset.forName("UTF-32LE"))) {
            assertEquals("body", assertThrows(MalformedRequestException.class, () -> reader.batch(batch.getBytes(wide)),
                    wide::name).field());
            assertEquals("body", assertThrows(MalformedRequestException.class, () -> reader.single(event.getBytes(wide)),
                    wide::name).field());
            assertEquals("body", assertThrows(MalformedRequestException.class,
                    () -> reader.writeKey(("{\"writeKey\":\"k\"}").getBytes(wide)), wide::name).field());
        }
        // A UTF-8 byte-order mark is still UTF-8, and its bytes are counted as such.
        TrackingRequestReader.Batch marked = reader.batch(utf8("\uFEFF" + batch));
        assertEquals(utf8(event).length, marked.elements().get(1).bytes());
        assertEquals(utf8("{\"c\":\"" + "c".repeat(1_000) + "\"}").length, marked.defaultsBytes());
    }

    @Test
    void aUnitOfOneEventRefusesWhatFollowsItsValueWhereACallsBodyNeverReadIt() {
        byte[] two = utf8("{\"event\":\"a\",\"userId\":\"u\"}\n{\"event\":\"b\",\"userId\":\"u\"}");
        assertEquals("a", reader.single(two).get("event").asText(), "a call's body: the tail was never read");
        MalformedRequestException refused = assertThrows(MalformedRequestException.class,
                () -> reader.whole(two, "the MQTT message"));
        assertEquals("body", refused.field());
        assertEquals("the MQTT message has content after its JSON value: it must be one JSON value", refused.getMessage());
        assertEquals("b", reader.whole(utf8(" {\"event\":\"b\"} \r\n"), "the line").get("event").asText(),
                "white space around the value is no content");
        assertThrows(MalformedRequestException.class, () -> reader.whole(utf8("{\"event\":\"a\"}]"), "the line"));
    }
}
