package io.tidemark.e2e;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.testsupport.ServiceProcess;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP services stopped the way Kubernetes stops a pod on a rolling update, while clients call
 * them. Kubernetes sends SIGTERM and takes the pod out of its Service's endpoints at the same time,
 * and the second takes seconds to reach every node and balancer: requests go on arriving after the
 * signal. A service run with its production profile must report not ready at once, go on answering
 * for that while and finish what it started: no client meets a refused connection or a cut request.
 * Without this, ingest and mart closed their servers on the signal and every call of those seconds
 * failed.
 */
class RollingUpdateIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final int CLIENTS = 4;
    private static final int EVENTS_PER_BATCH = 20;
    private static final Duration BEFORE_SIGNAL = Duration.ofSeconds(2);
    /** How long calls go on arriving after the signal: within the shipped quarkus.shutdown.delay (5 s). */
    private static final Duration AFTER_SIGNAL = Duration.ofSeconds(3);

    /** One call: when it was made, its status (-1: no response), what went wrong, and the messageIds it carried. */
    private record Outcome(Instant sentAt, int status, String failure, List<String> messageIds) {
    }

    @Test
    void batchesArrivingDuringAStopOfIngestAreAnsweredAndEveryAcknowledgedEventIsOnKafka() throws Exception {
        String key = "stop-key-" + UUID.randomUUID();
        try (RawTopic topic = RawTopic.create("localhost:9092")) {
            ServiceProcess ingest = ServiceProcess.launch("ingest-service", List.of("quarkus.profile=prod",
                    "tidemark.ingest.sources.stop-src.write-keys=" + key, topic.ingestProperty()));
            List<Outcome> outcomes = stoppedUnderLoad(ingest, service -> sendBatch(service, key));

            Map<String, Integer> onKafka = topic.rawCounts();
            List<String> lost = outcomes.stream().flatMap(o -> o.messageIds().stream())
                    .filter(id -> !onKafka.containsKey(id)).toList();
            assertEquals(List.of(), lost.stream().limit(5).toList(),
                    lost.size() + " acknowledged events are not on the raw topic, the first five shown");
        }
    }

    @Test
    void dashboardCallsArrivingDuringAStopOfMartAreAnswered() throws Exception {
        String token = "stop-token-" + UUID.randomUUID();
        Path marts = Files.createDirectories(Path.of("target", "rolling-update-marts")).toAbsolutePath();
        ServiceProcess mart = ServiceProcess.launch("mart-service", List.of("quarkus.profile=prod",
                "tidemark.mart.tokens.dashboards.token=" + token, "tidemark.mart.tokens.dashboards.sources=*",
                "tidemark.mart.export.every=off", "tidemark.mart.export.root=" + marts));
        stoppedUnderLoad(mart, service -> call(HttpRequest.newBuilder(service.uri("/api/v1/sources"))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token).build(), List.of()));
    }

    /**
     * Dashboard calls still unanswered shortly before the end of the time a stop gives requests in flight (here a
     * queue of slow scans behind one query worker) are answered 503 "the service is stopping" while the server
     * still listens, so the dashboard asks another replica. Before 2026-12-08 the server closed their connections
     * unanswered at that end.
     */
    @Test
    void slowDashboardCallsStillUnansweredWhenMartsServerClosesAreAnswered503() throws Exception {
        String token = "stop-token-" + UUID.randomUUID();
        String source = "slow-" + UUID.randomUUID().toString().substring(0, 8);
        LocalDate day = LocalDate.of(2026, 11, 1);
        Path marts = Files.createDirectories(Path.of("target", "slow-stop-marts")).toAbsolutePath();
        writeLargeDay(marts, source, day);
        try (CqlSession cassandra = CqlSession.builder().addContactPoint(new InetSocketAddress("127.0.0.1", 9042))
                .withLocalDatacenter("datacenter1").build()) {
            // What makes the source known to mart's API, as dedup's first event of it does.
            cassandra.execute("INSERT INTO tidemark.changed_days (source, event_date, changed_at) VALUES (?, ?, ?)",
                    source, day, Instant.now());
        }
        // No delay and 2 s for requests in flight: a call still unanswered a second after the signal is answered then.
        ServiceProcess mart = ServiceProcess.launch("mart-service", List.of("quarkus.profile=prod",
                "tidemark.mart.tokens.dashboards.token=" + token, "tidemark.mart.export.every=off",
                "tidemark.mart.export.root=" + marts, "tidemark.mart.duckdb.query-concurrency=1",
                "tidemark.mart.duckdb.threads=1", "quarkus.shutdown.delay=0S", "quarkus.shutdown.timeout=2S"));
        List<Outcome> outcomes;
        ExecutorService callers = Executors.newFixedThreadPool(17);
        try {
            mart.awaitReady();
            HttpRequest slowScan = HttpRequest.newBuilder(mart.uri("/api/v1/metrics/top-events?source=" + source
                    + "&from=" + day + "&to=" + day + "&by=properties.plan")).timeout(Duration.ofSeconds(60))
                    .header("Authorization", "Bearer " + token).build();
            Outcome alone = call(slowScan, List.of());
            assertEquals(200, alone.status(), "a scan of the day alone: " + alone.failure());
            // A worker and sixteen waiting, the most mart takes: the last of them waits for sixteen scans.
            List<CompletableFuture<Outcome>> calls = new ArrayList<>();
            for (int c = 0; c < 17; c++) {
                calls.add(CompletableFuture.supplyAsync(() -> call(slowScan, List.of()), callers));
                Thread.sleep(20);
            }
            Thread.sleep(200);
            mart.closeInBackground();
            assertTrue(mart.awaitExit(Duration.ofSeconds(30)).isPresent(), "mart still runs 30 s after SIGTERM");
            outcomes = calls.stream().map(CompletableFuture::join).toList();
        } finally {
            callers.shutdownNow();
            mart.close();
        }

        List<Outcome> unanswered = outcomes.stream().filter(o -> o.status() != 200 && o.status() != 503).toList();
        assertEquals(List.of(), unanswered, "calls not answered 200 or 503");
        List<Outcome> refused = outcomes.stream().filter(o -> o.status() == 503).toList();
        assertTrue(!refused.isEmpty(), "some calls were still waiting at the stop: " + outcomes);
        refused.forEach(o -> assertTrue(o.failure().contains("the service is stopping"), o.failure()));
    }

    /** A day of three million events in one mart file: a scan of it takes a good part of a second on one thread. */
    private static void writeLargeDay(Path marts, String source, LocalDate day) throws Exception {
        Path dir = Files.createDirectories(marts.resolve("source=" + source).resolve("event_date=" + day));
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement sql = duck.createStatement()) {
            sql.execute("SET TimeZone = 'UTC'");
            sql.execute("COPY (SELECT TIMESTAMPTZ '" + day + " 00:00:00+00' + to_microseconds(i * 28) AS event_time,"
                    + " 'm-' || i AS message_id, 'track' AS type, 'Event ' || (i % 500) AS event,"
                    + " 'user-' || (i % 100000) AS user_id, NULL::VARCHAR AS anonymous_id, NULL::VARCHAR AS group_id,"
                    + " NULL::VARCHAR AS previous_id, '{\"plan\":\"p' || (i % 97) || '\"}' AS properties,"
                    + " NULL::VARCHAR AS traits, NULL::VARCHAR AS context,"
                    + " TIMESTAMPTZ '" + day + " 00:00:00+00' + to_microseconds(i * 28) AS received_at,"
                    + " NULL::TIMESTAMPTZ AS sent_at, []::VARCHAR[] AS flags FROM range(3000000) t(i))"
                    + " TO '" + dir.resolve("part-00000.parquet") + "' (FORMAT parquet)");
        }
    }

    /**
     * Starts {@code service}, calls it from {@link #CLIENTS} threads, sends SIGTERM, and goes on calling for
     * {@link #AFTER_SIGNAL}. Asserts that readiness turned DOWN at once, that the process ended, and that
     * every call was answered 200; returns the calls.
     */
    private static List<Outcome> stoppedUnderLoad(ServiceProcess service, Function<ServiceProcess, Outcome> call)
            throws Exception {
        ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
        AtomicBoolean calling = new AtomicBoolean(true);
        List<Thread> clients = new ArrayList<>();
        Instant signal;
        try {
            service.awaitReady();
            for (int c = 0; c < CLIENTS; c++) {
                Thread client = new Thread(() -> {
                    while (calling.get()) {
                        outcomes.add(call.apply(service));
                    }
                }, "client-" + c);
                client.start();
                clients.add(client);
            }
            Thread.sleep(BEFORE_SIGNAL.toMillis());

            signal = Instant.now();
            service.closeInBackground();
            await(service.module() + " readiness DOWN after SIGTERM").atMost(Duration.ofSeconds(2))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> ServiceProcess.status(HTTP, service.managementUri("/q/health/ready")) == 503);

            Thread.sleep(Math.max(0, Duration.between(Instant.now(), signal.plus(AFTER_SIGNAL)).toMillis()));
            calling.set(false);
            for (Thread client : clients) {
                client.join();
            }
            assertTrue(service.awaitExit(Duration.ofSeconds(30)).isPresent(),
                    service.module() + " still runs 30 s after SIGTERM");
        } finally {
            calling.set(false);
            service.close();
        }

        List<Outcome> failed = outcomes.stream().filter(o -> o.status() != 200).toList();
        assertEquals(List.of(), failed.stream().limit(5).toList(), failed.size() + " of " + outcomes.size()
                + " calls failed, the first five shown; SIGTERM at " + signal);
        long afterSignal = outcomes.stream().filter(o -> o.sentAt().isAfter(signal)).count();
        assertTrue(afterSignal >= CLIENTS, "calls made after SIGTERM: " + afterSignal);
        return List.copyOf(outcomes);
    }

    private static Outcome sendBatch(ServiceProcess ingest, String key) {
        List<String> ids = new ArrayList<>();
        List<Map<String, Object>> batch = new ArrayList<>();
        for (int i = 0; i < EVENTS_PER_BATCH; i++) {
            String id = UUID.randomUUID().toString();
            ids.add(id);
            batch.add(Map.of("type", "track", "messageId", id, "userId", "user-" + i, "event", "Song Played",
                    "timestamp", Instant.now().toString()));
        }
        String basic = Base64.getEncoder().encodeToString((key + ":").getBytes(StandardCharsets.UTF_8));
        try {
            return call(HttpRequest.newBuilder(ingest.uri("/v1/batch")).timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Basic " + basic).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("batch", batch)))).build(),
                    ids);
        } catch (Exception e) {
            return new Outcome(Instant.now(), -1, e.toString(), List.of());
        }
    }

    /** Makes the call; {@code messageIds} count as acknowledged only if it was answered 200. */
    private static Outcome call(HttpRequest request, List<String> messageIds) {
        Instant sentAt = Instant.now();
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            boolean ok = response.statusCode() == 200;
            return new Outcome(sentAt, response.statusCode(), ok ? null : response.body(), ok ? messageIds : List.of());
        } catch (Exception e) {
            return new Outcome(sentAt, -1, e.toString(), List.of());
        }
    }
}
