package io.tidemark.ingest.rest;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.event.EventType;
import io.tidemark.ingest.ManagementPort;
import io.tidemark.ingest.TopicTail;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The paths and body forms Segment's own SDKs use beside the documented long ones: the browser's
 * one-letter paths with a text/plain body and the write key inside it, {@code /v1/b}, analytics-java's
 * {@code /v1/import/}, and the settings documents the SDKs fetch first.
 */
@QuarkusTest
class SdkPathsTest {

    private static final String WRITE_KEY = "ingest-test-key";
    private static final String SOURCE = "ingest-test";
    private static final Duration WAIT = Duration.ofSeconds(15);

    private static String id() {
        return "sdk-" + UUID.randomUUID();
    }

    private static Map<String, CollectedEvent> awaitRaw(TopicTail reader, List<String> messageIds) {
        List<ConsumerRecord<String, byte[]>> records = reader.readUntil(found -> messageIds.stream().allMatch(id ->
                found.stream().anyMatch(r -> r.key().equals(SOURCE + ":" + id))), WAIT);
        Map<String, CollectedEvent> events = records.stream().filter(r -> r.key().startsWith(SOURCE + ":"))
                .map(r -> EventCodec.decode(r.value())).filter(e -> messageIds.contains(e.messageId()))
                .collect(Collectors.toMap(CollectedEvent::messageId, Function.identity(), (a, b) -> a));
        assertEquals(messageIds.size(), events.size(), "events on the raw topic");
        return events;
    }

    @Test
    void theBrowsersOneLetterPathsTakeATextPlainBodyWithTheWriteKeyInside() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("i", "\"userId\":\"u-1\",\"traits\":{\"name\":\"Ada\"}");
        fields.put("t", "\"anonymousId\":\"a-1\",\"event\":\"Clicked\"");
        fields.put("p", "\"anonymousId\":\"a-1\",\"name\":\"Home\"");
        fields.put("s", "\"userId\":\"u-1\",\"name\":\"Settings\"");
        fields.put("g", "\"userId\":\"u-1\",\"groupId\":\"g-1\"");
        fields.put("a", "\"userId\":\"u-1\",\"previousId\":\"a-1\"");
        Map<String, EventType> types = Map.of("i", EventType.IDENTIFY, "t", EventType.TRACK, "p", EventType.PAGE,
                "s", EventType.SCREEN, "g", EventType.GROUP, "a", EventType.ALIAS);
        Map<String, String> ids = fields.keySet().stream().collect(Collectors.toMap(p -> p, p -> id()));
        try (TopicTail reader = new TopicTail(TopicTail.RAW)) {
            fields.forEach((path, body) -> given().contentType("text/plain")
                    .body("{\"writeKey\":\"" + WRITE_KEY + "\",\"messageId\":\"" + ids.get(path) + "\"," + body + "}")
                    .when().post("/v1/" + path)
                    .then().statusCode(200).body("success", equalTo(true)));
            Map<String, CollectedEvent> events = awaitRaw(reader, List.copyOf(ids.values()));
            ids.forEach((path, id) -> assertEquals(types.get(path), events.get(id).type(), "/v1/" + path));
        }
    }

    @Test
    void batchesAreTakenAtBAndAtImportWithOrWithoutItsSlashGzippedOrNot() throws IOException, InterruptedException {
        List<String> ids = List.of(id(), id(), id(), id());
        try (TopicTail reader = new TopicTail(TopicTail.RAW)) {
            given().contentType("text/plain").body(batch(ids.get(0), "\"writeKey\":\"" + WRITE_KEY + "\","))
                    .when().post("/v1/b").then().statusCode(200).body("success", equalTo(true));
            // analytics-java: HTTP Basic, gzip, and the trailing slash.
            given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json")
                    .header("Content-Encoding", "gzip").body(gzip(batch(ids.get(1), "")))
                    .when().post("/v1/import/").then().statusCode(200).body("success", equalTo(true));
            given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json")
                    .body(batch(ids.get(2), ""))
                    .when().post("/v1/import").then().statusCode(200).body("success", equalTo(true));
            // RudderStack's node SDK gzips its batches and labels them as a form.
            // (REST Assured insists on encoding a form itself, so the JDK's client sends this one.)
            HttpResponse<String> form = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://localhost:" + RestAssured.port + "/v1/batch"))
                    .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((WRITE_KEY + ":").getBytes(
                            StandardCharsets.UTF_8)))
                    .header("Content-Type", "application/x-www-form-urlencoded").header("Content-Encoding", "gzip")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(gzip(batch(ids.get(3), "")))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, form.statusCode(), form.body());
            awaitRaw(reader, ids);
        }
    }

    @Test
    void aBodyShapeAPathDoesNotTakeIsA400NamingTheFieldNeverA200() {
        // An NDJSON file where a batch is expected: /v1/import is Segment's batch import now.
        given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/x-ndjson")
                .body(("{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\"}\n"
                        + "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"f\"}\n").getBytes(StandardCharsets.UTF_8))
                .when().post("/v1/import")
                .then().statusCode(400).contentType("application/problem+json").body("field", equalTo("body"));
        given().auth().preemptive().basic(WRITE_KEY, "").contentType("application/json")
                .body("{\"events\":[{\"type\":\"track\",\"userId\":\"u\",\"event\":\"e\"}]}")
                .when().post("/v1/import/")
                .then().statusCode(400).contentType("application/problem+json").body("field", equalTo("batch"));
        // A batch posted to a single-call path.
        given().auth().preemptive().basic(WRITE_KEY, "").contentType("text/plain")
                .body(batch(id(), "")).when().post("/v1/t")
                .then().statusCode(400).contentType("application/problem+json").body("field", equalTo("batch"));
    }

    @Test
    void settingsPointTheSdksBackAtThisIngestAndAreCacheable() {
        for (String path : List.of("/v1/projects/" + WRITE_KEY + "/settings", "/projects/" + WRITE_KEY + "/settings")) {
            Response first = given().when().get(path);
            first.then().statusCode(200)
                    .header("Cache-Control", equalTo("max-age=300"))
                    .header("ETag", notNullValue())
                    .body("integrations.'Segment.io'.apiKey", equalTo(WRITE_KEY))
                    .body("integrations.'Segment.io'.protocol", equalTo("http"))
                    .body("integrations.'Segment.io'.apiHost", equalTo("localhost:" + RestAssured.port + "/v1"))
                    .body("integrations.size()", equalTo(1))
                    .body("metrics.sampleRate", equalTo(0))
                    .body("integrations.'Segment.io'.deliveryStrategy.config.keepalive", equalTo(true));
            String etag = first.getHeader("ETag");
            assertNotNull(etag);
            given().header("If-None-Match", etag).when().get(path).then().statusCode(304);
        }
        given().when().get("/v1/projects/no-such-key/settings")
                .then().statusCode(404).contentType("application/problem+json").body("field", equalTo("writeKey"));
        given().when().get("/projects/no-such-key/settings").then().statusCode(404);
    }

    @Test
    void theWebTagAndItsLazyChunksAreServedFromIngestCompressedAndCacheable() {
        Response tag = given().header("Accept-Encoding", "gzip").when().get("/analytics.js/v1/" + WRITE_KEY + "/analytics.min.js");
        tag.then().statusCode(200)
                .contentType(containsString("javascript"))
                .header("Content-Encoding", "gzip")
                .header("Cache-Control", equalTo("max-age=3600"))
                .header("ETag", notNullValue());
        // The standalone bundle of the pinned npm release, which names its version and its chunks' path.
        String script = tag.asString();
        assertTrue(script.contains("next-1.84.3") || script.contains("1.84.3"), "analytics-next 1.84.3");
        given().header("If-None-Match", tag.getHeader("ETag"))
                .when().get("/analytics.js/v1/" + WRITE_KEY + "/analytics.min.js").then().statusCode(304);
        given().when().get("/analytics.js/v1/no-such-key/analytics.min.js")
                .then().statusCode(404).contentType("application/problem+json");
        given().when().get("/analytics-next/bundles/queryString.bundle.34b193ada8fe288d1bd1.js")
                .then().statusCode(200).contentType(containsString("javascript"));
    }

    @Test
    void eventsAreCountedByChannelClientLibraryAndTheEventTimeRuleThatDecidedThem() {
        String library = "sdk-paths-test-" + UUID.randomUUID().toString().substring(0, 8);
        given().contentType("text/plain")
                .body("{\"writeKey\":\"" + WRITE_KEY + "\",\"batch\":["
                        + "{\"type\":\"track\",\"userId\":\"u\",\"event\":\"Counted\",\"context\":{\"library\":{\"name\":\"" + library
                        + "\",\"version\":\"1.2.3\"}}},"
                        + "{\"type\":\"track\",\"event\":\"No user\",\"context\":{\"library\":{\"name\":\"" + library
                        + "\",\"version\":\"1.2.3\"}}}]}")
                .when().post("/v1/b").then().statusCode(200).body("rejected", org.hamcrest.Matchers.hasSize(1));
        String metrics = given().when().get(ManagementPort.url("metrics")).then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("tidemark_ingest_client_events_total{channel=\"http\",library=\"" + library
                + "\",outcome=\"accepted\",version=\"1.2.3\"} 1.0"), "accepted by library:\n" + grep(metrics, library));
        assertTrue(metrics.contains("tidemark_ingest_client_events_total{channel=\"http\",library=\"" + library
                + "\",outcome=\"rejected\",version=\"1.2.3\"} 1.0"), "rejected by library:\n" + grep(metrics, library));
        assertTrue(metrics.contains("tidemark_ingest_event_time_rule_total{rule=\"time_received\"}"),
                "counted by event-time rule:\n" + grep(metrics, "event_time_rule"));
    }

    private static String grep(String text, String part) {
        return text.lines().filter(line -> line.contains(part)).collect(Collectors.joining("\n"));
    }

    private static String batch(String messageId, String envelope) {
        return "{" + envelope + "\"batch\":[{\"type\":\"track\",\"messageId\":\"" + messageId
                + "\",\"userId\":\"u-1\",\"event\":\"Batched\"}],\"sentAt\":\"" + java.time.Instant.now() + "\"}";
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }
}
