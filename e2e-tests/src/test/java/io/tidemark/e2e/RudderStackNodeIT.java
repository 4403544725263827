package io.tidemark.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RudderStack's node SDK ({@code @rudderstack/rudder-sdk-node} from npm, installed by the build) with
 * a {@code timestamp} weeks ago: it also sends {@code originalTimestamp} = the time of the call, and
 * the event must still be counted on the day of {@code timestamp} in mart's API.
 */
class RudderStackNodeIT {

    private static final Duration PATIENCE = Duration.ofSeconds(90);

    @Test
    void aTimestampWeeksAgoIsCountedOnItsOwnDayInMartsApi() throws Exception {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        Instant weeksAgo = Instant.now().minus(18, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MILLIS);
        LocalDate thatDay = LocalDate.ofInstant(weeksAgo, ZoneOffset.UTC);
        String run = "rudder-" + UUID.randomUUID();
        try (SdkPipeline pipeline = SdkPipeline.start("rudder-node", true)) {
            JsonNode report = runClient(pipeline, run, weeksAgo);
            assertTrue(report.get("delivered").asBoolean(), "the SDK reports every call delivered: " + report);

            Map<String, List<StoredRows.Stored>> stored = pipeline.awaitStored(List.of(run + "-track", run + "-identify"),
                    List.of(thatDay, today), PATIENCE);
            assertEquals(List.of(new StoredRows.Stored(thatDay, weeksAgo)), stored.get(run + "-track"),
                    "the track call is stored once, at the caller's timestamp");
            assertEquals(1, stored.get(run + "-identify").size());

            Map<LocalDate, Long> expected = Map.of(thatDay, 1L, today, 1L);
            Map<LocalDate, Long> counted = await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(1))
                    .until(() -> pipeline.dailyEvents(thatDay, today), days -> days.entrySet().containsAll(expected.entrySet()));
            counted.forEach((day, events) -> assertEquals(expected.getOrDefault(day, 0L), events, "events on " + day));
        }
    }

    private static JsonNode runClient(SdkPipeline pipeline, String run, Instant timestamp) throws IOException, InterruptedException {
        Path modules = Path.of(System.getProperty("tidemark.sdk-clients.modules"));
        Path script = Path.of(System.getProperty("tidemark.node-scripts"), "rudder-send.js");
        assertTrue(Files.isDirectory(modules.resolve("@rudderstack/rudder-sdk-node")), "npm installed the SDK in " + modules);
        ProcessBuilder builder = new ProcessBuilder("node", script.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().putAll(Map.of("NODE_PATH", modules.toString(), "DATA_PLANE_URL", pipeline.ingestUrl(),
                "WRITE_KEY", pipeline.writeKey, "RUN_ID", run, "EVENT_TIMESTAMP", timestamp.toString()));
        Process node = builder.start();
        String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!node.waitFor(60, TimeUnit.SECONDS)) {
            node.destroyForcibly();
            throw new AssertionError("the RudderStack client did not finish within 60 s");
        }
        assertEquals(0, node.exitValue(), "the RudderStack client reported a failure: " + out);
        return new ObjectMapper().readTree(out.strip());
    }
}
