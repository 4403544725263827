package io.tidemark.ingest.rest;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.ingest.TopicTail;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile shapes inside otherwise valid batches: a context that would be copied into thousands of
 * events, times no clock can hold, and days no mart should have. The bad part is refused with its
 * field named; the good events beside it are stored.
 */
@QuarkusTest
class HostileBatchTest {

    private static final String WRITE_KEY = "ingest-test-key";
    private static final String SOURCE = "ingest-test";
    private static final Duration WAIT = Duration.ofSeconds(15);

    private static String id() {
        return "hostile-" + UUID.randomUUID();
    }

    private static String track(String messageId, String times) {
        return "{\"type\":\"track\",\"messageId\":\"" + messageId + "\",\"userId\":\"u\",\"event\":\"e\"" + times + "}";
    }

    @Test
    void anUnknownBasicWriteKeyIsRefusedBeforeTheBodyIsRead() throws Exception {
        // Headers only, with 400 KB announced: the answer must come without waiting for the body.
        try (Socket socket = new Socket("localhost", RestAssured.port)) {
            socket.setSoTimeout(5_000);
            String basic = Base64.getEncoder().encodeToString("made-up-key:".getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().write(("POST /v1/batch HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic " + basic
                    + "\r\nContent-Type: application/json\r\nContent-Length: 400000\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            byte[] buffer = new byte[2048];
            StringBuilder read = new StringBuilder();
            while (!read.toString().contains("}")) {
                int n = socket.getInputStream().read(buffer);
                if (n < 0) {
                    break;
                }
                read.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            }
            String answer = read.toString();
            assertTrue(answer.startsWith("HTTP/1.1 401"), answer);
            assertTrue(answer.contains("application/problem+json") && answer.contains("\"field\":\"writeKey\""), answer);
        }
    }

    @Test
    void aBatchContextThatWouldBeCopiedIntoThousandsOfEventsIsRefusedBeforeAnyCopy() {
        // 190 KB of context and 6,000 tiny events: 478 KB on the wire, over 1 GB once copied into each event.
        String context = "{\"blob\":\"" + "c".repeat(190_000) + "\"}";
        String events = String.join(",", Collections.nCopies(6_000, "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\"}"));
        given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json")
                .body("{\"context\":" + context + ",\"batch\":[" + events + "]}")
                .when().post("/v1/batch")
                .then().statusCode(413).contentType("application/problem+json").body("field", equalTo("context"));
    }

    @Test
    void aBatchInUtf16IsRefusedWholeForItsSizesCannotBeCountedAndTheNextBatchIsStored() {
        // In UTF-16 Jackson gives no byte offsets: the 20 KB context copied into 1,000 events (20 MB) and
        // the 40 KB event once measured 0 bytes each, and were taken.
        String context = "{\"blob\":\"" + "c".repeat(20_000) + "\"}";
        String big = "{\"type\":\"track\",\"messageId\":\"" + id() + "\",\"userId\":\"u\",\"event\":\"e\",\"properties\":{\"p\":\""
                + "p".repeat(40_000) + "\"}}";
        String wide = id();
        String events = String.join(",", Collections.nCopies(1_000, track(wide, "")));
        String good = id();
        try (TopicTail reader = new TopicTail(TopicTail.RAW)) {
            for (java.nio.charset.Charset charset : List.of(StandardCharsets.UTF_16LE, StandardCharsets.UTF_16)) {
                given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json")
                        .body(("{\"context\":" + context + ",\"batch\":[" + big + "," + events + "]}").getBytes(charset))
                        .when().post("/v1/batch")
                        .then().statusCode(400).contentType("application/problem+json").body("field", equalTo("body"))
                        .body("detail", containsString("UTF-8"));
            }
            given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json")
                    .body("{\"batch\":[" + track(good, "") + "]}")
                    .when().post("/v1/batch")
                    .then().statusCode(200);
            assertEquals(1, reader.withKey(SOURCE + ":" + good, 1, WAIT).size());
            assertEquals(0, reader.withKey(SOURCE + ":" + wide, 0, Duration.ofSeconds(1)).size());
        }
    }

    @Test
    void anEventThatTheBatchContextWouldTakeOverTheEventLimitIsRefusedAloneAndItsNeighbourStored() {
        String good = id();
        String context = "{\"blob\":\"" + "c".repeat(20_000) + "\"}";
        String big = "{\"type\":\"track\",\"messageId\":\"" + id() + "\",\"userId\":\"u\",\"event\":\"e\",\"properties\":{\"p\":\""
                + "p".repeat(15_000) + "\"}}";
        try (TopicTail reader = new TopicTail(TopicTail.RAW)) {
            given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json")
                    .body("{\"context\":" + context + ",\"batch\":[" + big + "," + track(good, "") + "]}")
                    .when().post("/v1/batch")
                    .then().statusCode(200).body("rejected", hasSize(1)).body("rejected[0].index", equalTo(0))
                    .body("rejected[0].field", equalTo("context"));
            assertEquals(1, reader.withKey(SOURCE + ":" + good, 1, WAIT).size());
        }
    }

    @Test
    void timesNoClockCanHoldRejectTheirEventNotTheBatch() {
        String good = id();
        try (TopicTail reader = new TopicTail(TopicTail.RAW)) {
            given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json")
                    .body("{\"batch\":[" + track(id(), ",\"originalTimestamp\":\"-999999999-01-01T00:00:00Z\","
                            + "\"sentAt\":\"+999999999-12-31T23:59:59Z\"") + ","
                            + track(good, "") + ","
                            + track(id(), ",\"timestamp\":\"+999999999-12-31T23:59:59Z\"") + "]}")
                    .when().post("/v1/batch")
                    .then().statusCode(200).body("rejected", hasSize(2))
                    .body("rejected[0].index", equalTo(0)).body("rejected[0].field", equalTo("originalTimestamp"))
                    .body("rejected[1].index", equalTo(2)).body("rejected[1].field", equalTo("timestamp"));
            assertEquals(1, reader.withKey(SOURCE + ":" + good, 1, WAIT).size());
        }
    }

    @Test
    void eventsBeforeTheEventTimeWindowAreRefusedAndNeverStoredOnANonsenseDay() {
        String good = id();
        String recent = Instant.now().minus(3, ChronoUnit.DAYS).toString();
        try (TopicTail reader = new TopicTail(TopicTail.RAW)) {
            given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json")
                    .body("{\"batch\":[" + track(id(), ",\"timestamp\":\"0001-01-01T00:00:00Z\"") + ","
                            + track(id(), ",\"timestamp\":\"-0001-06-01T00:00:00Z\"") + ","
                            + track(good, ",\"timestamp\":\"" + recent + "\"") + "]}")
                    .when().post("/v1/batch")
                    .then().statusCode(200).body("rejected", hasSize(2))
                    .body("rejected[0].field", equalTo("timestamp"))
                    .body("rejected[0].reason", containsString("window"))
                    .body("rejected[1].field", equalTo("timestamp"));
            List<ConsumerRecord<String, byte[]>> stored = reader.withKey(SOURCE + ":" + good, 1, WAIT);
            CollectedEvent event = EventCodec.decode(stored.get(0).value());
            assertEquals(Instant.parse(recent), event.timestamp());
        }
        given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json")
                .body("{\"userId\":\"u\",\"event\":\"e\",\"timestamp\":\"0001-01-01T00:00:00Z\"}")
                .when().post("/v1/track")
                .then().statusCode(400).contentType("application/problem+json").body("field", equalTo("timestamp"));
    }
}
