package io.tidemark.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.testsupport.ServiceProcess;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * HTTP into ingest, through the real Kafka broker, dedup into the real Cassandra, and out of
 * mart's API: a duplicate is counted once and a late event on its own event day.
 */
class OneEventEndToEndIT {

    private static final String READ_TOKEN = "dev-read-token";
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    // A source of its own, so events of other tests or of a running stack cannot change the counts.
    private static final String SOURCE = "e2e-" + UUID.randomUUID().toString().substring(0, 8);
    private static final String WRITE_KEY = "e2e-key-" + UUID.randomUUID();

    private static final List<ServiceProcess> services = new ArrayList<>();
    private static ServiceProcess ingest;
    private static ServiceProcess mart;

    @BeforeAll
    static void startServices() throws Exception {
        ingest = start("ingest-service", List.of("tidemark.ingest.sources." + SOURCE + ".write-keys=" + WRITE_KEY));
        start("dedup-service", List.of());
        // mart serves Parquet marts: its own export root under target/ (gone with `mvn clean`), exported on demand below.
        mart = start("mart-service", List.of("tidemark.mart.export.root="
                + java.nio.file.Files.createDirectories(java.nio.file.Path.of("target", "e2e-marts", SOURCE)).toAbsolutePath(),
                "tidemark.mart.export.sources=" + SOURCE, "tidemark.mart.export.every=off"));
        for (ServiceProcess service : services) {
            service.awaitReady();
        }
    }

    private static ServiceProcess start(String module, List<String> properties) throws Exception {
        ServiceProcess service = ServiceProcess.launch(module, properties);
        services.add(service);
        return service;
    }

    @AfterAll
    static void stopServices() throws InterruptedException {
        // Side by side: dedup alone takes seconds to leave its consumer group.
        ServiceProcess.closeAll(services);
    }

    @Test
    void duplicateIsCountedOnceAndALateEventOnItsEventDay() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        Instant fiveDaysAgo = now.minus(5, ChronoUnit.DAYS);
        String retried = UUID.randomUUID().toString();

        track(retried, "user-a", now);
        track(retried, "user-a", now);
        track(UUID.randomUUID().toString(), "user-b", now);
        track(UUID.randomUUID().toString(), "user-a", fiveDaysAgo);

        Map<LocalDate, long[]> expected = new LinkedHashMap<>();
        for (LocalDate day = today.minusDays(5); !day.isAfter(today); day = day.plusDays(1)) {
            expected.put(day, new long[] {0, 0});
        }
        expected.put(today, new long[] {2, 2});
        expected.put(today.minusDays(5), new long[] {1, 1});

        AtomicReference<Map<LocalDate, long[]>> actual = new AtomicReference<>(Map.of());
        try {
            await("mart's daily numbers are the events sent").atMost(PATIENCE).pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(500)).until(() -> {
                        actual.set(daily(today.minusDays(5), today));
                        return same(expected, actual.get());
                    });
        } catch (ConditionTimeoutException late) {
            // Said as the difference between the numbers, which says more than the timeout.
            assertEquals(render(expected), render(actual.get()));
        }
    }

    private static void track(String messageId, String userId, Instant timestamp) throws Exception {
        String body = JSON.writeValueAsString(Map.of("messageId", messageId, "userId", userId, "event", "Song Played",
                "properties", Map.of("genre", "jazz"), "timestamp", timestamp.toString()));
        String basic = Base64.getEncoder().encodeToString((WRITE_KEY + ":").getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(ingest.uri("/v1/track"))
                .header("Authorization", "Basic " + basic).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        assertEquals(true, JSON.readTree(response.body()).get("success").asBoolean());
    }

    private static Map<LocalDate, long[]> daily(LocalDate from, LocalDate to) throws Exception {
        HTTP.send(HttpRequest.newBuilder(mart.uri("/api/v1/exports?source=" + SOURCE))
                .header("Authorization", "Bearer " + READ_TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding());
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(mart.uri(
                        "/api/v1/metrics/daily?source=" + SOURCE + "&from=" + from + "&to=" + to))
                .header("Authorization", "Bearer " + READ_TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            // 400 'unknown source' until dedup stored the first event.
            return Map.of();
        }
        JsonNode body = JSON.readTree(response.body());
        assertEquals(SOURCE, body.get("source").asText());
        Map<LocalDate, long[]> days = new LinkedHashMap<>();
        body.get("days").forEach(day -> days.put(LocalDate.parse(day.get("date").asText()),
                new long[] {day.get("events").asLong(), day.get("users").asLong()}));
        return days;
    }

    private static boolean same(Map<LocalDate, long[]> expected, Map<LocalDate, long[]> actual) {
        return render(expected).equals(render(actual));
    }

    private static String render(Map<LocalDate, long[]> days) {
        StringBuilder text = new StringBuilder();
        days.forEach((day, counts) -> text.append(day).append(" events=").append(counts[0])
                .append(" users=").append(counts[1]).append('\n'));
        return text.toString();
    }
}
