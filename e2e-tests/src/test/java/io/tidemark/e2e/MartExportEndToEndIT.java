package io.tidemark.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.testsupport.ServiceProcess;
import io.tidemark.testsupport.Trees;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Events over 40 days, with duplicates, through ingest, Kafka, dedup and Cassandra into mart's
 * Parquet marts; then late events for a day already exported: after the next export the API's
 * daily counts and DAU/WAU/MAU equal the truth computed here, and only the late day was rewritten.
 */
class MartExportEndToEndIT {

    private static final String READ_TOKEN = "dev-read-token";
    private static final int DAYS = 40;
    private static final int LATE_DAY_AGO = 20;
    private static final Duration PATIENCE = Duration.ofSeconds(120);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String SOURCE = "e2e-mart-" + UUID.randomUUID().toString().substring(0, 8);
    private static final String WRITE_KEY = "e2e-key-" + UUID.randomUUID();

    private static final List<ServiceProcess> services = new ArrayList<>();
    private static ServiceProcess ingest;
    private static ServiceProcess mart;
    private static Path martRoot;

    /** The truth: per event day, the events stored once and their users. */
    private final Map<LocalDate, List<String>> truth = new TreeMap<>();
    private final Random random = new Random(42);

    @BeforeAll
    static void startServices() throws Exception {
        martRoot = Files.createTempDirectory("tidemark-e2e-marts-");
        ingest = start("ingest-service", List.of("tidemark.ingest.sources." + SOURCE + ".write-keys=" + WRITE_KEY));
        start("dedup-service", List.of());
        // Exports run on demand only, so the test decides when a day is exported.
        mart = start("mart-service", List.of("tidemark.mart.export.root=" + martRoot,
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
    static void stopServices() throws Exception {
        // Side by side: dedup alone takes seconds to leave its consumer group.
        ServiceProcess.closeAll(services);
        Trees.delete(martRoot);
    }

    @Test
    void martNumbersEqualTheTruthAndALateDayIsTheOnlyOneRewritten() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        List<String[]> sent = new ArrayList<>();
        for (int ago = DAYS - 1; ago >= 0; ago--) {
            int events = 1 + random.nextInt(5);
            for (int i = 0; i < events; i++) {
                // Inside the UTC day `ago` days back and never after now, whatever the time of day the test
                // runs: every day in the range has events, so every day is exported before the late ones come.
                Instant time = timeOnDay(today.minusDays(ago), now);
                sent.add(track(UUID.randomUUID().toString(), "user-" + random.nextInt(12), "Song Played", time, true));
            }
        }
        // Retries of earlier events: the same messageId again must not count twice.
        for (int i = 0; i < 10; i++) {
            String[] original = sent.get(random.nextInt(sent.size()));
            track(original[0], original[1], original[2], Instant.parse(original[3]), false);
        }
        LocalDate first = today.minusDays(DAYS - 1);
        awaitDailyEqualsTruth(first, today);
        assertActiveUsersEqualTruth(List.of(today, today.minusDays(LATE_DAY_AGO), today.minusDays(LATE_DAY_AGO - 5)));

        awaitNothingLeftToExport();
        Map<String, String> exportedBefore = exportedAtByDay();
        assertEquals(truth.size(), exportedBefore.size(), "every day with events is exported: " + exportedBefore);
        Map<LocalDate, FileTime> filesBefore = fileTimes();
        backdate();
        Map<LocalDate, FileTime> backdated = fileTimes();

        // Late events for a day already exported, one of them sent twice.
        LocalDate lateDay = today.minusDays(LATE_DAY_AGO);
        Instant lateTime = lateDay.atStartOfDay(ZoneOffset.UTC).toInstant().plus(13, ChronoUnit.HOURS);
        String[] late = track(UUID.randomUUID().toString(), "late-user", "Song Skipped", lateTime, true);
        track(late[0], late[1], late[2], lateTime, false);
        track(UUID.randomUUID().toString(), "user-1", "Song Skipped", lateTime.plusSeconds(60), true);

        awaitDailyEqualsTruth(first, today);
        assertActiveUsersEqualTruth(List.of(today, lateDay, lateDay.plusDays(5), lateDay.plusDays(29)));

        Map<String, String> exportedAfter = exportedAtByDay();
        Map<LocalDate, FileTime> filesAfter = fileTimes();
        for (LocalDate day : truth.keySet()) {
            if (day.equals(lateDay)) {
                assertTrue(!exportedAfter.get(day.toString()).equals(exportedBefore.get(day.toString())),
                        "the late day is exported again");
                assertTrue(!filesAfter.get(day).equals(backdated.get(day)), "the late day's file is rewritten");
            } else {
                assertEquals(exportedBefore.get(day.toString()), exportedAfter.get(day.toString()), "day " + day + " untouched");
                assertEquals(backdated.get(day), filesAfter.get(day), "file of day " + day + " untouched");
            }
        }
        assertEquals(filesBefore.keySet(), filesAfter.keySet());
    }

    private Instant timeOnDay(LocalDate day, Instant now) {
        Instant start = day.atStartOfDay(ZoneOffset.UTC).toInstant();
        long span = Math.min(86_400, Duration.between(start, now).getSeconds() + 1);
        return start.plusSeconds(random.nextLong(span));
    }

    /** Sends one track event; {@code counted} adds it to the truth (a retry is not counted again). */
    private String[] track(String messageId, String userId, String event, Instant timestamp, boolean counted) throws Exception {
        String body = JSON.writeValueAsString(Map.of("messageId", messageId, "userId", userId, "event", event,
                "timestamp", timestamp.toString()));
        String basic = Base64.getEncoder().encodeToString((WRITE_KEY + ":").getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(ingest.uri("/v1/track"))
                .header("Authorization", "Basic " + basic).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        if (counted) {
            truth.computeIfAbsent(LocalDate.ofInstant(timestamp, ZoneOffset.UTC), d -> new ArrayList<>()).add(userId);
        }
        return new String[] {messageId, userId, event, timestamp.toString()};
    }

    /** Exports and compares until dedup has stored everything (it consumes asynchronously) or patience ends. */
    private void awaitDailyEqualsTruth(LocalDate from, LocalDate to) throws Exception {
        String expected = renderTruth(from, to);
        AtomicReference<String> actual = new AtomicReference<>("");
        try {
            await("mart's daily numbers equal the truth").atMost(PATIENCE).pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofSeconds(1)).until(() -> {
                        HttpResponse<String> export = call("POST", "/api/v1/exports?source=" + SOURCE);
                        assertEquals(200, export.statusCode(), export.body());
                        assertEquals(0, JSON.readTree(export.body()).get("failed").size(), export.body());
                        HttpResponse<String> daily = call("GET", "/api/v1/metrics/daily?source=" + SOURCE + "&from="
                                + from + "&to=" + to);
                        if (daily.statusCode() != 200) {
                            return false;
                        }
                        JsonNode body = JSON.readTree(daily.body());
                        StringBuilder text = new StringBuilder();
                        body.get("days").forEach(day -> text.append(day.get("date").asText()).append(" events=")
                                .append(day.get("events").asLong()).append(" users=").append(day.get("users").asLong())
                                .append('\n'));
                        actual.set(text.toString());
                        if (!actual.get().equals(expected)) {
                            return false;
                        }
                        assertTrue(body.hasNonNull("exportedThrough"), daily.body());
                        return true;
                    });
        } catch (ConditionTimeoutException late) {
            // Said as the difference between the numbers, which says more than the timeout.
            assertEquals(expected, actual.get());
        }
    }

    /** Retries still in dedup may mark their day once more; the baseline is taken when an export finds nothing. */
    private void awaitNothingLeftToExport() {
        await("an export finds nothing left to export").atMost(PATIENCE).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofSeconds(1)).until(() -> {
                    HttpResponse<String> export = call("POST", "/api/v1/exports?source=" + SOURCE);
                    assertEquals(200, export.statusCode(), export.body());
                    return JSON.readTree(export.body()).get("exported").isEmpty();
                });
    }

    private String renderTruth(LocalDate from, LocalDate to) {
        StringBuilder text = new StringBuilder();
        for (LocalDate day = from; !day.isAfter(to); day = day.plusDays(1)) {
            List<String> users = truth.getOrDefault(day, List.of());
            text.append(day).append(" events=").append(users.size()).append(" users=")
                    .append(new HashSet<>(users).size()).append('\n');
        }
        return text.toString();
    }

    private void assertActiveUsersEqualTruth(List<LocalDate> dates) throws Exception {
        for (LocalDate date : dates) {
            HttpResponse<String> response = call("GET", "/api/v1/metrics/active-users?source=" + SOURCE + "&date=" + date);
            assertEquals(200, response.statusCode(), response.body());
            JsonNode body = JSON.readTree(response.body());
            String actual = body.get("dau").asLong() + "/" + body.get("wau").asLong() + "/" + body.get("mau").asLong();
            String expected = distinctUsers(date, 1) + "/" + distinctUsers(date, 7) + "/" + distinctUsers(date, 30);
            assertEquals(expected, actual, "DAU/WAU/MAU on " + date);
        }
    }

    private long distinctUsers(LocalDate end, int days) {
        Set<String> users = new HashSet<>();
        truth.forEach((day, dayUsers) -> {
            if (!day.isAfter(end) && day.isAfter(end.minusDays(days))) {
                users.addAll(dayUsers);
            }
        });
        return users.size();
    }

    private Map<String, String> exportedAtByDay() throws Exception {
        HttpResponse<String> response = call("GET", "/api/v1/exports?source=" + SOURCE);
        assertEquals(200, response.statusCode(), response.body());
        Map<String, String> days = new HashMap<>();
        JSON.readTree(response.body()).forEach(day -> days.put(day.get("date").asText(), day.get("exportedAt").asText()));
        return days;
    }

    /** The modification time of each day's single file. */
    private Map<LocalDate, FileTime> fileTimes() throws IOException {
        Map<LocalDate, FileTime> times = new TreeMap<>();
        try (Stream<Path> days = Files.list(martRoot.resolve("source=" + SOURCE))) {
            for (Path day : days.filter(d -> d.getFileName().toString().startsWith("event_date=")).toList()) {
                times.put(LocalDate.parse(day.getFileName().toString().substring("event_date=".length())),
                        Files.getLastModifiedTime(day.resolve("part-00000.parquet")));
            }
        }
        return times;
    }

    /** Back-dates every file, so any rewrite shows as a new modification time whatever the clock resolution. */
    private void backdate() throws IOException {
        FileTime past = FileTime.from(Instant.parse("2020-01-01T00:00:00Z"));
        for (LocalDate day : fileTimes().keySet()) {
            Files.setLastModifiedTime(martRoot.resolve("source=" + SOURCE).resolve("event_date=" + day)
                    .resolve("part-00000.parquet"), past);
        }
    }

    private static HttpResponse<String> call(String method, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(mart.uri(path)).header("Authorization", "Bearer " + READ_TOKEN)
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }
}
