package io.tidemark.ingest.rest;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.ingest.TopicTail;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
class ImportRouteTest {

    private static final String WRITE_KEY = "ingest-test-key";
    private static final String SOURCE = "ingest-test";
    private static final int EVENTS = 12_000;

    @Test
    void aFileLargerThanAnyRequestIsStreamedAndAnImportAgainStoresTheSameMessageIds() throws IOException {
        String event = "Imported " + UUID.randomUUID();
        Instant start = Instant.now().minus(3, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < EVENTS; i++) {
            // Half carry their own messageId; the others get one derived from their bytes.
            String id = i % 2 == 0 ? "\"messageId\":\"imp-" + i + "-" + event.hashCode() + "\"," : "";
            file.append("{\"type\":\"track\",").append(id).append("\"userId\":\"user-").append(i % 97)
                    .append("\",\"event\":\"").append(event).append("\",\"timestamp\":\"").append(start.plusSeconds(i))
                    .append("\",\"properties\":{\"pad\":\"").append("p".repeat(150)).append("\"}}\n");
            if (i == 3) {
                file.append("{\"type\":\"track\",\n");       // line 5: not JSON
                file.append("\n");                            // line 6: blank, skipped
                file.append("{\"type\":\"track\",\"event\":\"no user\"}\r\n"); // line 7: no userId/anonymousId
            }
        }
        byte[] body = file.toString().getBytes(StandardCharsets.UTF_8);
        assertTrue(body.length > 2 * 1024 * 1024, "the file is larger than the request limit: " + body.length);

        Set<String> first = importAndRead(body, false, event);
        Set<String> second = importAndRead(RequestBodyDecoderTest.gzip(body), true, event);
        assertEquals(first, second, "importing the same file again yields the same messageIds (dedup drops them)");
        assertEquals(EVENTS / 2, first.stream().filter(id -> id.startsWith("import-")).count());
    }

    private Set<String> importAndRead(byte[] body, boolean gzip, String event) {
        try (TopicTail reader = new TopicTail(TopicTail.RAW)) {
            var request = given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/x-ndjson").body(body);
            if (gzip) {
                request = request.header("Content-Encoding", "gzip");
            }
            ExtractableResponse<Response> answer = request.when().post("/bulk/v1/import")
                    .then().statusCode(200).contentType("application/json")
                    .body("success", equalTo(true)).body("lines", equalTo(EVENTS + 3))
                    .body("accepted", equalTo(EVENTS)).body("rejectedCount", equalTo(2))
                    .body("rejected[0].line", equalTo(5)).body("rejected[0].field", equalTo("body"))
                    .body("rejected[1].line", equalTo(7))
                    .extract();
            assertTrue(answer.path("rejected[0].reason").toString().startsWith("the line is not valid JSON"), answer.asString());

            List<ConsumerRecord<String, byte[]>> records = reader.readUntil(found -> imported(found, event).size() >= EVENTS,
                    Duration.ofSeconds(30));
            List<CollectedEvent> events = imported(records, event);
            assertEquals(EVENTS, events.size(), "every valid line on the raw topic once");
            return events.stream().map(CollectedEvent::messageId).collect(Collectors.toSet());
        }
    }

    private static List<CollectedEvent> imported(List<ConsumerRecord<String, byte[]>> records, String event) {
        return records.stream().filter(r -> r.key().startsWith(SOURCE + ":")).map(r -> EventCodec.decode(r.value()))
                .filter(e -> event.equals(e.event())).toList();
    }

    @Test
    void badImportsGetProblems() {
        byte[] line = "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\"}\n".getBytes(StandardCharsets.UTF_8);
        given().contentType("application/x-ndjson").body(line)
                .when().post("/bulk/v1/import")
                .then().statusCode(401).contentType("application/problem+json").body("field", equalTo("writeKey"));
        given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/x-ndjson")
                .header("Content-Encoding", "br").body(line)
                .when().post("/bulk/v1/import")
                .then().statusCode(415).contentType("application/problem+json").body("field", equalTo("Content-Encoding"));
        given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/x-ndjson")
                .header("Content-Encoding", "gzip").body(new byte[] {0x1f, (byte) 0x8b, 8, 0, 1, 2, 3})
                .when().post("/bulk/v1/import")
                .then().statusCode(400).contentType("application/problem+json").body("field", equalTo("body"));
    }

    @Test
    void aLineWithTwoEventsIsRefusedWholeBesideGoodLinesNotHalfStored() {
        String event = "Paired " + UUID.randomUUID();
        String good = "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"" + event + "\",\"properties\":{\"line\":%d}}";
        String file = good.formatted(1) + "\n"
                // Line 2: two events, then a third after a comma; line 3: an event and a stray bracket.
                + good.formatted(20) + good.formatted(21) + "," + good.formatted(22) + "\n"
                + good.formatted(3) + "]\n"
                + good.formatted(4) + "\n";
        try (TopicTail raw = new TopicTail(TopicTail.RAW); TopicTail parked = new TopicTail(TopicTail.DEAD_LETTER)) {
            ExtractableResponse<Response> answer = given().auth().preemptive().basic(WRITE_KEY, "")
                    .contentType("application/x-ndjson").body(file.getBytes(StandardCharsets.UTF_8))
                    .when().post("/bulk/v1/import")
                    .then().statusCode(200).body("lines", equalTo(4)).body("accepted", equalTo(2))
                    .body("rejectedCount", equalTo(2)).body("rejected[0].line", equalTo(2))
                    .body("rejected[1].line", equalTo(3)).extract();
            assertTrue(answer.path("rejected[0].reason").toString().contains("content after its JSON value"), answer.asString());

            List<CollectedEvent> stored = imported(raw.readUntil(found -> imported(found, event).size() >= 2,
                    Duration.ofSeconds(10)), event);
            assertEquals(List.of("1", "4"), stored.stream().map(e -> String.valueOf(e.properties().get("line"))).sorted().toList(),
                    "the good lines, and no event of the refused ones");
            assertEquals(2, parked.readUntil(found -> found.stream().filter(r -> new String(r.value(),
                    StandardCharsets.UTF_8).contains(event)).count() >= 2, Duration.ofSeconds(10)).stream()
                    .filter(r -> new String(r.value(), StandardCharsets.UTF_8).contains(event)).count(),
                    "both refused lines parked as they came");
        }
    }
}
