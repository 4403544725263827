package io.tidemark.ingest.rest;

import io.quarkus.test.junit.QuarkusTest;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.event.EventFlag;
import io.tidemark.event.EventType;
import io.tidemark.ingest.ManagementPort;
import io.tidemark.ingest.TopicTail;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every Segment endpoint, its limits and its failures, against the real Kafka broker of the local stack. */
@QuarkusTest
class SegmentApiTest {

    private static final String WRITE_KEY = "ingest-test-key";
    private static final String SOURCE = "ingest-test";
    private static final String DEAD_LETTER_TOPIC = "tidemark.events.dead-letter";
    private static final Duration WAIT = Duration.ofSeconds(15);

    private static String id() {
        return "api-" + UUID.randomUUID();
    }

    /** The events on the raw topic whose messageIds are given, by messageId, once all are there. */
    private static Map<String, CollectedEvent> awaitRaw(TopicTail reader, List<String> messageIds) {
        List<ConsumerRecord<String, byte[]>> records = reader.readUntil(found -> messageIds.stream().allMatch(id ->
                found.stream().anyMatch(r -> r.key().equals(SOURCE + ":" + id))), WAIT);
        Map<String, CollectedEvent> events = records.stream().filter(r -> r.key().startsWith(SOURCE + ":"))
                .map(r -> EventCodec.decode(r.value()))
                .filter(e -> messageIds.contains(e.messageId()))
                .collect(Collectors.toMap(CollectedEvent::messageId, Function.identity()));
        assertEquals(messageIds.size(), events.size(), "events on the raw topic");
        return events;
    }

    @Test
    void everyCallTypeHasItsEndpointAndIsStoredWithItsType() {
        Map<String, String> bodies = Map.of(
                "identify", "\"userId\":\"u-1\",\"traits\":{\"email\":\"ada@example.com\"}",
                "track", "\"userId\":\"u-1\",\"event\":\"Signed Up\"",
                "page", "\"anonymousId\":\"a-1\",\"name\":\"Home\",\"properties\":{\"path\":\"/\"}",
                "screen", "\"userId\":\"u-1\",\"name\":\"Settings\"",
                "group", "\"userId\":\"u-1\",\"groupId\":\"g-1\",\"traits\":{\"plan\":\"team\"}",
                "alias", "\"userId\":\"u-1\",\"previousId\":\"a-1\"");
        Map<String, String> idByType = bodies.keySet().stream().collect(Collectors.toMap(t -> t, t -> id()));
        try (TopicTail reader = new TopicTail(TopicTail.RAW)) {
            bodies.forEach((type, fields) -> given().auth().preemptive().basic(WRITE_KEY, "")
                    .contentType("application/json")
                    .body("{\"messageId\":\"" + idByType.get(type) + "\"," + fields + "}")
                    .when().post("/v1/" + type)
                    .then().statusCode(200).body("success", equalTo(true)));

            Map<String, CollectedEvent> events = awaitRaw(reader, List.copyOf(idByType.values()));
            idByType.forEach((type, messageId) ->
                    assertEquals(EventType.parse(type).orElseThrow(), events.get(messageId).type(), type));
            assertEquals("ada@example.com", events.get(idByType.get("identify")).traits().get("email").asText());
            assertEquals("Home", events.get(idByType.get("page")).name());
            assertEquals("g-1", events.get(idByType.get("group")).groupId());
            assertEquals("a-1", events.get(idByType.get("alias")).previousId());
        }
    }

    @Test
    void aGroupCallWithoutGroupIdIsABadRequestNamingGroupId() {
        given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json")
                .body("{\"userId\":\"u\"}")
                .when().post("/v1/group")
                .then().statusCode(400).contentType("application/problem+json").body("field", equalTo("groupId"));
    }

    @Test
    void aBatchStoresTheValidEventsAndParksTheInvalidOnesWithTheirReason() {
        String valid1 = id();
        String valid2 = id();
        String noType = id();
        String badUser = id();
        String body = "{\"sentAt\":\"" + Instant.now() + "\",\"context\":{\"library\":{\"name\":\"batch-lib\",\"version\":\"1\"},"
                + "\"ip\":\"10.0.0.1\"},\"integrations\":{\"All\":false,\"Mixpanel\":true},\"batch\":["
                + "{\"type\":\"track\",\"messageId\":\"" + valid1 + "\",\"userId\":\"u\",\"event\":\"A\","
                + "\"context\":{\"library\":{\"name\":\"own-lib\"}},\"integrations\":{\"Mixpanel\":false}},"
                + "{\"messageId\":\"" + noType + "\",\"userId\":\"u\",\"event\":\"B\"},"
                + "{\"type\":\"identify\",\"messageId\":\"" + valid2 + "\",\"anonymousId\":\"a\"},"
                + "{\"type\":\"track\",\"messageId\":\"" + badUser + "\",\"event\":\"C\"},"
                + "{\"type\":\"page\",\"anonymousId\":\"no-id\"}"
                + "]}";
        try (TopicTail raw = new TopicTail(TopicTail.RAW); TopicTail deadLetter = new TopicTail(DEAD_LETTER_TOPIC)) {
            given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json").body(body)
                    .when().post("/v1/batch")
                    .then().statusCode(200)
                    .body("success", equalTo(true))
                    .body("rejected", hasSize(2))
                    .body("rejected[0].index", equalTo(1)).body("rejected[0].field", equalTo("type"))
                    .body("rejected[1].index", equalTo(3)).body("rejected[1].field", equalTo("userId"))
                    .body("rejected[1].reason", containsString("anonymousId"));

            Map<String, CollectedEvent> events = awaitRaw(raw, List.of(valid1, valid2));
            // The event's own context wins; the batch's fills what it leaves out.
            assertEquals("own-lib", events.get(valid1).context().get("library").get("name").asText());
            assertEquals("1", events.get(valid1).context().get("library").get("version").asText());
            assertEquals("10.0.0.1", events.get(valid2).context().get("ip").asText());
            // Integrations merge the same way.
            assertEquals(false, events.get(valid1).integrations().get("Mixpanel").asBoolean());
            assertEquals(false, events.get(valid1).integrations().get("All").asBoolean(true));
            assertEquals(true, events.get(valid2).integrations().get("Mixpanel").asBoolean());
            assertEquals(SOURCE, events.get(valid2).source());

            List<ConsumerRecord<String, byte[]>> parked = deadLetter.readUntil(found -> found.stream().filter(r ->
                    r.key().endsWith(noType) || r.key().endsWith(badUser)).count() == 2, WAIT).stream()
                    .filter(r -> r.key().endsWith(noType) || r.key().endsWith(badUser)).toList();
            assertEquals(2, parked.size());
            for (ConsumerRecord<String, byte[]> record : parked) {
                assertEquals(SOURCE, header(record, "tidemark-source"));
                assertEquals("ingest-service", header(record, "tidemark-origin"));
                assertTrue(new String(record.value(), StandardCharsets.UTF_8).contains("\"messageId\""));
            }
            ConsumerRecord<String, byte[]> missingType = parked.stream().filter(r -> r.key().endsWith(noType)).findFirst().orElseThrow();
            assertEquals("type", header(missingType, "tidemark-field"));
            assertTrue(header(missingType, "tidemark-reason").contains("required"));
        }
    }

    @Test
    void thousandsOfBadEventsInOneBatchAreAllParkedAndTheGoodOneStored() {
        String run = id();
        int bad = 3000;
        StringBuilder body = new StringBuilder("{\"batch\":[{\"type\":\"track\",\"messageId\":\"" + run
                + "-good\",\"userId\":\"u\",\"event\":\"Good\"}");
        for (int i = 0; i < bad; i++) {
            body.append(",{\"type\":\"nope\",\"messageId\":\"").append(run).append("-bad-").append(i).append("\"}");
        }
        body.append("]}");
        try (TopicTail raw = new TopicTail(TopicTail.RAW); TopicTail deadLetter = new TopicTail(DEAD_LETTER_TOPIC)) {
            given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json").body(body.toString())
                    .when().post("/v1/batch")
                    .then().statusCode(200).body("rejected", hasSize(bad)).body("rejected[2999].index", equalTo(bad));
            assertEquals("Good", awaitRaw(raw, List.of(run + "-good")).get(run + "-good").event());
            long parked = deadLetter.readUntil(found -> found.stream().filter(r -> r.key().contains(run + "-bad-")).count() >= bad,
                    WAIT).stream().filter(r -> r.key().contains(run + "-bad-")).map(ConsumerRecord::key).distinct().count();
            assertEquals(bad, parked);
        }
    }

    @Test
    void aBatchEventWithoutMessageIdGetsAGeneratedOneAndTheFlag() {
        String marker = id();
        try (TopicTail reader = new TopicTail(TopicTail.RAW)) {
            given().contentType("application/json")
                    .body("{\"writeKey\":\"" + WRITE_KEY + "\",\"batch\":[{\"type\":\"track\",\"userId\":\"" + marker
                            + "\",\"event\":\"No Id\"}]}")
                    .when().post("/v1/batch")
                    .then().statusCode(200).body("success", equalTo(true));
            List<CollectedEvent> mine = reader.readUntil(found -> found.stream().anyMatch(r ->
                            EventCodec.decode(r.value()).userId().equals(marker)), WAIT).stream()
                    .map(r -> EventCodec.decode(r.value())).filter(e -> marker.equals(e.userId())).toList();
            assertEquals(1, mine.size());
            assertNotEquals(null, mine.get(0).messageId());
            assertTrue(mine.get(0).flags().contains(EventFlag.GENERATED_MESSAGE_ID));
        }
    }

    @Test
    void aBatchWithoutAWriteKeyIsUnauthorized() {
        given().contentType("application/json").body("{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\"}]}")
                .when().post("/v1/batch")
                .then().statusCode(401).contentType("application/problem+json").body("field", equalTo("writeKey"));
    }

    @Test
    void aBatchThatIsNotJsonOrHasNoArrayIsABadRequest() {
        given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json").body("{\"batch\":[{\"type\":")
                .when().post("/v1/batch")
                .then().statusCode(400).contentType("application/problem+json").body("field", equalTo("body"));
        given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json").body("{\"batch\":\"no\"}")
                .when().post("/v1/batch")
                .then().statusCode(400).contentType("application/problem+json").body("field", equalTo("batch"));
    }

    @Test
    void anEventOver32KbIsTooLargeAlsoInsideABatch() {
        String big = "x".repeat(33 * 1024);
        given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json")
                .body("{\"userId\":\"u\",\"event\":\"e\",\"properties\":{\"blob\":\"" + big + "\"}}")
                .when().post("/v1/track")
                .then().statusCode(413).contentType("application/problem+json")
                .body("status", equalTo(413)).body("detail", containsString("32768"));

        given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json")
                .body("{\"batch\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\",\"properties\":{\"blob\":\"" + big
                        + "\"}},{\"type\":\"track\",\"userId\":\"u\",\"event\":\"small\"}]}")
                .when().post("/v1/batch")
                .then().statusCode(200).body("rejected", hasSize(1)).body("rejected[0].index", equalTo(0))
                .body("rejected[0].reason", containsString("32768"));
    }

    @Test
    void aRequestOver500KbIsTooLarge() {
        String event = "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\",\"properties\":{\"p\":\"" + "y".repeat(10_000) + "\"}}";
        String batch = "{\"batch\":[" + String.join(",", java.util.Collections.nCopies(52, event)) + "]}";
        given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json").body(batch)
                .when().post("/v1/batch")
                .then().statusCode(413).contentType("application/problem+json").body("field", equalTo("body"));
    }

    @Test
    void aBodyOverTheBufferLimitGetsAProblemNotABare413() {
        // 3 MB: beyond what Vert.x would buffer (2 MB), declared by Content-Length as SDKs do.
        byte[] huge = ("{\"batch\":[" + "1,".repeat(1_500_000) + "1]}").getBytes(StandardCharsets.UTF_8);
        given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json").body(huge)
                .when().post("/v1/batch")
                .then().statusCode(413).contentType("application/problem+json")
                .body("status", equalTo(413)).body("field", equalTo("body"));
    }

    @Test
    void gzipBodiesAreAcceptedAndACorruptOneIsABadRequest() throws IOException {
        String messageId = id();
        byte[] gzipped = RequestBodyDecoderTest.gzip(("{\"batch\":[{\"type\":\"track\",\"messageId\":\"" + messageId
                + "\",\"userId\":\"u\",\"event\":\"Zipped\"}]}").getBytes(StandardCharsets.UTF_8));
        try (TopicTail reader = new TopicTail(TopicTail.RAW)) {
            given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json")
                    .header("Content-Encoding", "gzip").body(gzipped)
                    .when().post("/v1/batch")
                    .then().statusCode(200).body("success", equalTo(true));
            assertEquals("Zipped", awaitRaw(reader, List.of(messageId)).get(messageId).event());
        }
        given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json")
                .header("Content-Encoding", "gzip").body(new byte[]{0x1f, (byte) 0x8b, 8, 0, 1, 2, 3})
                .when().post("/v1/track")
                .then().statusCode(400).contentType("application/problem+json").body("field", equalTo("body"));
    }

    @Test
    void browsersMayPostFromAnyOrigin() {
        given().header("Origin", "https://shop.example.com")
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "Content-Type,Authorization")
                .when().options("/v1/batch")
                .then().statusCode(200)
                .header("Access-Control-Allow-Origin", "https://shop.example.com")
                .header("Access-Control-Allow-Methods", containsString("POST"))
                .header("Access-Control-Allow-Headers", containsString("Authorization"));
    }

    @Test
    void aSourceOverItsRateLimitIsToldWhenToRetry() {
        // ingest-limited: a burst of 3 events, then one event every 2 s.
        String batchOfThree = "{\"batch\":[" + String.join(",", java.util.Collections.nCopies(3,
                "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"Limited\"}")) + "]}";
        given().auth().preemptive().basic("ingest-limited-key", "").contentType("application/json").body(batchOfThree)
                .when().post("/v1/batch")
                .then().statusCode(200);
        given().auth().preemptive().basic("ingest-limited-key", "").contentType("application/json")
                .body("{\"userId\":\"u\",\"event\":\"Limited\"}")
                .when().post("/v1/track")
                .then().statusCode(429).contentType("application/problem+json")
                .header("Retry-After", notNullValue())
                .body("status", equalTo(429));
    }

    @Test
    void readinessIsUpWhileKafkaAnswers() {
        given().when().get(ManagementPort.url("health/ready"))
                .then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.find { it.name == 'SmallRye Reactive Messaging - readiness check' }.data.events-raw",
                        equalTo("[OK]"))
                // DOWN from SIGTERM until the process ends (application.properties, quarkus.shutdown.*).
                .body("checks.find { it.name == 'Graceful Shutdown' }.status", equalTo("UP"));
    }

    @Test
    void metricsCountAcceptedAndRejectedEventsPerSource() {
        given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json")
                .body("{\"userId\":\"u\",\"event\":\"Counted\"}")
                .when().post("/v1/track").then().statusCode(200);
        given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json")
                .body("{\"event\":\"No User\"}")
                .when().post("/v1/track").then().statusCode(400);
        given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json")
                .body("{\"batch\":[")
                .when().post("/v1/batch").then().statusCode(400);
        given().when().get(ManagementPort.url("metrics"))
                .then().statusCode(200)
                .body(containsString("tidemark_ingest_events_accepted_total{source=\"ingest-test\"}"))
                .body(containsString("tidemark_ingest_events_rejected_total{reason=\"invalid\",source=\"ingest-test\"}"))
                .body(containsString("tidemark_ingest_request_bytes_total{source=\"ingest-test\"}"))
                .body(containsString("tidemark_ingest_events_rejected_total{reason=\"malformed\",source=\"unknown\"}"))
                .body(containsString("tidemark_ingest_ack_latency_seconds_bucket{source=\"ingest-test\""));
    }

    @Test
    void theOpenApiDocumentDescribesEveryEndpoint() {
        String document = given().when().get(ManagementPort.url("openapi?format=json")).then().statusCode(200).extract().asString();
        for (String path : List.of("identify", "track", "page", "screen", "group", "alias", "batch")) {
            assertTrue(document.contains("\"/v1/" + path + "\""), path);
        }
    }

    @Test
    void healthMetricsAndTheApiDocumentAreNotServedOnThePublicPort() {
        for (String path : List.of("/q/health", "/q/health/ready", "/q/metrics", "/q/openapi", "/q/openapi?format=json")) {
            given().when().get(path).then().statusCode(404);
        }
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }
}
