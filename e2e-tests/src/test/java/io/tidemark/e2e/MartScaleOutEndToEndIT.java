package io.tidemark.e2e;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.testsupport.S3ProxyServer;
import io.tidemark.testsupport.ServiceProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three mart replicas share one S3-compatible bucket (S3Proxy) and the exports of one source: the
 * replica exporting it is killed with SIGKILL in the middle of its days, another takes the source
 * over once the lease runs out, late events are re-exported, and every replica answers the daily
 * numbers of the truth within a bound. All the while every replica is polled: once a replica has
 * served a day, it never answers that day as missing. A replica restarted on its old disk is ready
 * only once its mirror holds the bucket's days.
 */
class MartScaleOutEndToEndIT {

    private static final String READ_TOKEN = "dev-read-token";
    private static final int DAYS = 30;
    private static final int REPLICAS = 3;
    private static final Duration BOUND = Duration.ofSeconds(120);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String SOURCE = "e2e-scale-" + UUID.randomUUID().toString().substring(0, 8);
    private static final String WRITE_KEY = "e2e-key-" + UUID.randomUUID();

    private static final S3ProxyServer BUCKET = new S3ProxyServer();
    private static final List<ServiceProcess> services = new ArrayList<>();
    private static final List<Path> roots = new ArrayList<>();
    /** The replica at each index; a killed one is replaced by its restart. */
    private static final List<ServiceProcess> marts = Collections.synchronizedList(new ArrayList<>());
    private static Map<String, String> bucketSettings;
    private static ServiceProcess ingest;
    private static CqlSession cassandra;

    private final Map<LocalDate, List<String>> truth = new TreeMap<>();
    private final Random random = new Random(7);
    private final List<String> missing = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void startServices() throws Exception {
        bucketSettings = BUCKET.start();
        cassandra = CqlSession.builder().addContactPoint(new InetSocketAddress("127.0.0.1", 9042))
                .withLocalDatacenter("datacenter1").build();
        ingest = start("ingest-service", List.of("tidemark.ingest.sources." + SOURCE + ".write-keys=" + WRITE_KEY));
        start("dedup-service", List.of());
        for (int i = 0; i < REPLICAS; i++) {
            roots.add(Files.createTempDirectory("tidemark-e2e-replica-" + i + "-"));
            marts.add(startMart(i, "replica-" + i));
        }
        for (ServiceProcess service : services) {
            service.awaitReady();
        }
    }

    private static ServiceProcess startMart(int index, String owner) throws Exception {
        List<String> properties = new ArrayList<>(List.of("tidemark.mart.export.root=" + roots.get(index),
                "tidemark.mart.export.sources=" + SOURCE,
                "tidemark.mart.export.every=2s", "tidemark.mart.export.first-delay=1s",
                // Slow enough that a kill lands in the middle of the source's days.
                "tidemark.mart.export.day-delay=400ms",
                "tidemark.mart.export.lease.ttl=6s", "tidemark.mart.export.lease.renew-every=2s",
                "tidemark.mart.export.lease.owner=" + owner,
                "tidemark.mart.store.refresh-every=1s"));
        bucketSettings.forEach((key, value) -> properties.add(key + "=" + value));
        return start("mart-service", properties);
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
        if (cassandra != null) {
            cassandra.close();
        }
        BUCKET.stop();
    }

    @Test
    void everyReplicaAnswersTheTruthAfterTheExportingReplicaIsKilledAndNoDayEverGoesMissing() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        LocalDate first = today.minusDays(DAYS - 1);
        for (int ago = DAYS - 1; ago >= 0; ago--) {
            for (int i = 0; i < 1 + random.nextInt(4); i++) {
                track("user-" + random.nextInt(10), timeOnDay(today.minusDays(ago), now));
            }
        }

        // Kill the exporting replica once some but not all of its days are committed.
        await().atMost(BOUND).pollInterval(Duration.ofMillis(200)).until(() -> leaseOwner() != null
                && exportedDays() >= 3 && exportedDays() <= DAYS - 3);
        String owner = leaseOwner();
        int killed = Integer.parseInt(owner.substring("replica-".length()));
        marts.get(killed).kill();
        int committedAtKill = exportedDays();

        List<Integer> alive = new ArrayList<>();
        for (int i = 0; i < REPLICAS; i++) {
            if (i != killed) {
                alive.add(i);
            }
        }
        awaitTruthOn(alive, first, today);
        assertTrue(committedAtKill < DAYS, "the kill landed mid-export: " + committedAtKill + " days committed");
        assertEquals(DAYS, exportedDays(), "another replica finished the source's days");

        // From now on every replica is polled: a day it has served may never be missing again.
        ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor();
        poller.scheduleWithFixedDelay(() -> checkNothingMissing(alive, first, today), 0, 300, TimeUnit.MILLISECONDS);
        try {
            LocalDate lateDay = today.minusDays(12);
            track("late-user", lateDay.atStartOfDay(ZoneOffset.UTC).toInstant().plus(13, ChronoUnit.HOURS));
            track("user-1", lateDay.atStartOfDay(ZoneOffset.UTC).toInstant().plus(14, ChronoUnit.HOURS));
            awaitTruthOn(alive, first, today);

            // The killed replica comes back on its old disk: ready only once its mirror holds the bucket.
            marts.set(killed, startMart(killed, "replica-" + killed + "-restarted"));
            marts.get(killed).awaitReady();
            assertEquals(render(first, today), daily(marts.get(killed), first, today),
                    "the restarted replica answers the truth as soon as it is ready");
            alive.add(killed);
            Thread.sleep(2000);
        } finally {
            // Not shutdownNow: an interrupted poll would read as a replica that did not answer.
            poller.shutdown();
            assertTrue(poller.awaitTermination(30, TimeUnit.SECONDS), "the last poll ends");
        }
        assertEquals(List.of(), missing, "no reader ever saw a day go missing");
    }

    private void awaitTruthOn(List<Integer> replicas, LocalDate first, LocalDate today) {
        String expected = render(first, today);
        // A connection a replica's port refuses for a moment is asked again; one that never answers
        // fails at the bound with its exception.
        await().atMost(BOUND).pollInterval(Duration.ofSeconds(1)).ignoreExceptionsInstanceOf(IOException.class)
                .untilAsserted(() -> {
                    for (int i : replicas) {
                        assertEquals(expected, daily(marts.get(i), first, today), "replica " + i);
                    }
                });
    }

    private void checkNothingMissing(List<Integer> replicas, LocalDate first, LocalDate today) {
        java.util.Set<LocalDate> days;
        synchronized (this) {
            days = new HashSet<>(truth.keySet());
        }
        for (int i : List.copyOf(replicas)) {
            try {
                String answer = daily(marts.get(i), first, today);
                for (String line : answer.split("\n")) {
                    if (line.contains(" events=0 ") && days.contains(LocalDate.parse(line.substring(0, 10)))) {
                        missing.add("replica " + i + ": " + line);
                    }
                }
            } catch (Exception e) {
                missing.add("replica " + i + " did not answer: " + e);
            }
        }
    }

    private static String daily(ServiceProcess mart, LocalDate from, LocalDate to) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                        mart.uri("/api/v1/metrics/daily?source=" + SOURCE + "&from=" + from + "&to=" + to))
                .header("Authorization", "Bearer " + READ_TOKEN).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            return "status " + response.statusCode() + ": " + response.body();
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode day : JSON.readTree(response.body()).get("days")) {
            text.append(day.get("date").asText()).append(" events=").append(day.get("events").asLong())
                    .append(" users=").append(day.get("users").asLong()).append('\n');
        }
        return text.toString();
    }

    private synchronized String render(LocalDate from, LocalDate to) {
        StringBuilder text = new StringBuilder();
        for (LocalDate day = from; !day.isAfter(to); day = day.plusDays(1)) {
            List<String> users = truth.getOrDefault(day, List.of());
            text.append(day).append(" events=").append(users.size()).append(" users=")
                    .append(new HashSet<>(users).size()).append('\n');
        }
        return text.toString();
    }

    private Instant timeOnDay(LocalDate day, Instant now) {
        Instant start = day.atStartOfDay(ZoneOffset.UTC).toInstant();
        long span = Math.min(86_400, Duration.between(start, now).getSeconds() + 1);
        return start.plusSeconds(random.nextLong(span));
    }

    private void track(String userId, Instant timestamp) throws Exception {
        String body = JSON.writeValueAsString(Map.of("messageId", UUID.randomUUID().toString(), "userId", userId,
                "event", "Song Played", "timestamp", timestamp.toString()));
        String basic = Base64.getEncoder().encodeToString((WRITE_KEY + ":").getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(ingest.uri("/v1/track"))
                .header("Authorization", "Basic " + basic).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        synchronized (this) {
            truth.computeIfAbsent(LocalDate.ofInstant(timestamp, ZoneOffset.UTC), d -> new ArrayList<>()).add(userId);
        }
    }

    private static String leaseOwner() {
        return leaseOwner(cassandra, SOURCE);
    }

    private static int exportedDays() {
        return exportedDays(cassandra, SOURCE);
    }

    /** Who holds the source's export lease; null when no one does. */
    static String leaseOwner(CqlSession cassandra, String source) {
        Row row = cassandra.execute(SimpleStatement.newInstance(
                "SELECT owner FROM tidemark.mart_export_leases WHERE source = ?", source)).one();
        return row == null ? null : row.getString("owner");
    }

    /** The source's days in the export ledger. */
    static int exportedDays(CqlSession cassandra, String source) {
        // A partition with only its static exported_through answers one row without a day.
        return (int) cassandra.execute(SimpleStatement.newInstance(
                "SELECT event_date FROM tidemark.exported_days WHERE source = ?", source)).all().stream()
                .filter(row -> !row.isNull("event_date")).count();
    }
}
