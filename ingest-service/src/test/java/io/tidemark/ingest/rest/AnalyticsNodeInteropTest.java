package io.tidemark.ingest.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.event.EventType;
import io.tidemark.ingest.TopicTail;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real {@code @segment/analytics-node} client from npm (installed into target/ by the build), with
 * its host pointed at this ingest: what it reports as delivered must be on the real raw topic.
 */
@QuarkusTest
class AnalyticsNodeInteropTest {

    private static final int FLUSH_COUNT = 240;
    private static final String SOURCE = "ingest-test";

    @TestHTTPResource("/")
    URL ingest;

    @Test
    void eventsSentByAnalyticsNodeAreOnTheRawTopicWithTheirIdsAndTimes() throws Exception {
        String run = "node-" + UUID.randomUUID();
        Instant past = Instant.now().minus(3, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MILLIS);
        try (TopicTail reader = new TopicTail(TopicTail.RAW)) {
            List<JsonNode> delivered = runClient(run, past);
            assertEquals(3 + FLUSH_COUNT, delivered.size(), "events analytics-node reports as delivered");

            Set<String> expectedKeys = delivered.stream().map(d -> SOURCE + ":" + d.get("messageId").asText())
                    .collect(Collectors.toSet());
            List<ConsumerRecord<String, byte[]>> records = reader.readUntil(found -> found.stream()
                    .map(ConsumerRecord::key).filter(expectedKeys::contains).distinct().count() == expectedKeys.size(),
                    Duration.ofSeconds(30));
            Map<String, CollectedEvent> byMessageId = new HashMap<>();
            for (ConsumerRecord<String, byte[]> record : records) {
                CollectedEvent event = EventCodec.decode(record.value());
                if (expectedKeys.contains(record.key())) {
                    byMessageId.put(event.messageId(), event);
                }
            }
            for (JsonNode d : delivered) {
                CollectedEvent event = byMessageId.get(d.get("messageId").asText());
                assertTrue(event != null, "on the raw topic: " + d);
                assertEquals(SOURCE, event.source());
                assertEquals(EventType.parse(d.get("type").asText()).orElseThrow(), event.type());
                // The client's own time is kept exactly; the event time is it corrected by sentAt, which
                // differs only by the request's transit on one machine.
                Instant clientTime = Instant.parse(d.get("timestamp").asText());
                assertEquals(clientTime, event.originalTimestamp());
                assertTrue(Duration.between(clientTime, event.timestamp()).abs().compareTo(Duration.ofMinutes(1)) < 0,
                        "event time " + event.timestamp() + " vs client time " + clientTime);
            }
            CollectedEvent identify = byMessageId.get(run + "-identify");
            assertEquals(EventType.IDENTIFY, identify.type());
            assertEquals("Ada", identify.traits().get("name").asText());
            assertEquals("@segment/analytics-node", identify.context().get("library").get("name").asText());
            CollectedEvent track = byMessageId.get(run + "-track");
            assertEquals("Order Completed", track.event());
            assertEquals(past, track.originalTimestamp());
            assertTrue(track.timestamp().isBefore(Instant.now().minus(2, ChronoUnit.DAYS)),
                    "the track call keeps its time three days ago: " + track.timestamp());
            assertEquals("Pricing", byMessageId.get(run + "-page").name());
        }
    }

    private List<JsonNode> runClient(String run, Instant past) throws IOException, InterruptedException {
        Path modules = Path.of(System.getProperty("tidemark.analytics-node.modules"));
        Path script = Path.of(System.getProperty("tidemark.analytics-node.script"));
        assertTrue(Files.isDirectory(modules.resolve("@segment/analytics-node")), "npm installed analytics-node in " + modules);
        String host = ingest.toString().replaceAll("/$", "");
        ProcessBuilder builder = new ProcessBuilder("node", script.toString()).redirectErrorStream(false);
        builder.environment().putAll(Map.of("NODE_PATH", modules.toString(), "INGEST_HOST", host,
                "WRITE_KEY", "ingest-test-key", "RUN_ID", run, "USER_ID", run + "-user",
                "PAST_TIMESTAMP", past.toString(), "FLUSH_COUNT", Integer.toString(FLUSH_COUNT)));
        builder.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process node = builder.start();
        List<JsonNode> delivered = new ArrayList<>();
        ObjectMapper mapper = new ObjectMapper();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                delivered.add(mapper.readTree(line));
            }
        }
        if (!node.waitFor(60, TimeUnit.SECONDS)) {
            node.destroyForcibly();
            throw new AssertionError("analytics-node did not finish within 60 s");
        }
        assertEquals(0, node.exitValue(), "analytics-node reported delivery failures (see stderr)");
        return delivered;
    }
}
