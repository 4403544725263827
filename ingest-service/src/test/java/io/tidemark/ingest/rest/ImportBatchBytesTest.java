package io.tidemark.ingest.rest;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.ingest.TopicTail;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An import's lines go to Kafka in batches no larger than a request may be, so an import weighs on the
 * in-flight budget all requests share (and on the heap) as a few requests do, whatever its lines' size.
 */
@QuarkusTest
@TestProfile(ImportBatchBytesTest.SmallerBudget.class)
class ImportBatchBytesTest {

    /** A budget above what four or five batches of a request's size hold, far below 500 lines of 30 KB. */
    public static class SmallerBudget implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tidemark.ingest.max-in-flight-bytes", "4M");
        }
    }

    private static final int LINES = 300;

    @Test
    void linesNearTheEventLimitGoToKafkaInBatchesOfARequestsSize() {
        // 300 lines of about 30 KB of one-character strings: 9 MB. Cut by count alone (500 lines) they were one
        // batch, which the 4 MB budget refused whole with 503 while Kafka was well; and such lines, read into plain
        // JSON trees, take some seventeen times their bytes on the heap.
        String event = "Wide " + UUID.randomUUID();
        String values = String.join(",", Collections.nCopies(7_400, "\"x\""));
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < LINES; i++) {
            file.append("{\"type\":\"track\",\"messageId\":\"wide-").append(i).append('-').append(event.hashCode())
                    .append("\",\"userId\":\"u\",\"event\":\"").append(event).append("\",\"properties\":{\"v\":[")
                    .append(values).append("]}}\n");
        }
        byte[] body = file.toString().getBytes(StandardCharsets.UTF_8);
        assertTrue(body.length > 8_000_000 && body.length / LINES < 32_768, "lines under the event limit: " + body.length);
        try (TopicTail raw = new TopicTail(TopicTail.RAW)) {
            given().auth().preemptive().basic("ingest-test-key", "").contentType("application/x-ndjson").body(body)
                    .when().post("/bulk/v1/import")
                    .then().statusCode(200).body("accepted", equalTo(LINES)).body("rejectedCount", equalTo(0));
            List<ConsumerRecord<String, byte[]>> records = raw.readUntil(found -> wide(found, event).size() >= LINES,
                    Duration.ofSeconds(60));
            assertEquals(LINES, wide(records, event).size(), "every line on the raw topic");
        }
    }

    private static List<CollectedEvent> wide(List<ConsumerRecord<String, byte[]>> records, String event) {
        return records.stream().map(r -> EventCodec.decode(r.value())).filter(e -> event.equals(e.event())).toList();
    }
}
