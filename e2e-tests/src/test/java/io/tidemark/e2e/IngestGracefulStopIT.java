package io.tidemark.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.testsupport.ServiceProcess;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ingest-service stopped the way Kubernetes stops a pod on a rolling update, while clients send
 * batches. Kubernetes sends SIGTERM and takes the pod out of its Service's endpoints at the same time,
 * and the second takes seconds to reach every node and balancer: requests go on arriving after the
 * signal. Ingest, run with its production profile, must report not ready at once, go on answering
 * for that while, and finish the requests waiting for Kafka: no client meets a refused connection or
 * a cut request, and every batch acknowledged is on the raw topic. Without this, the HTTP server
 * closed on the signal and every request of those seconds failed.
 */
class IngestGracefulStopIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final int SENDERS = 4;
    private static final int EVENTS_PER_BATCH = 20;
    private static final Duration BEFORE_SIGNAL = Duration.ofSeconds(2);
    /** How long requests go on arriving after the signal: within the shipped quarkus.shutdown.delay (5 s). */
    private static final Duration AFTER_SIGNAL = Duration.ofSeconds(3);

    /** One request: when it was sent, its status (-1: no response), what went wrong, and its messageIds. */
    private record Outcome(Instant sentAt, int status, String failure, List<String> messageIds) {
    }

    @Test
    void requestsArrivingDuringAStopAreAnsweredAndEveryAcknowledgedEventIsOnKafka() throws Exception {
        String key = "stop-key-" + UUID.randomUUID();
        try (RawTopic topic = RawTopic.create("localhost:9092")) {
            ServiceProcess ingest = ServiceProcess.launch("ingest-service", List.of("quarkus.profile=prod",
                    "tidemark.ingest.sources.stop-src.write-keys=" + key, topic.ingestProperty()));
            ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
            AtomicBoolean sending = new AtomicBoolean(true);
            List<Thread> senders = new ArrayList<>();
            Instant signal;
            try {
                ingest.awaitReady();
                for (int s = 0; s < SENDERS; s++) {
                    Thread sender = new Thread(() -> {
                        while (sending.get()) {
                            outcomes.add(sendBatch(ingest, key));
                        }
                    }, "sender-" + s);
                    sender.start();
                    senders.add(sender);
                }
                Thread.sleep(BEFORE_SIGNAL.toMillis());

                signal = Instant.now();
                ingest.closeInBackground();
                await("readiness DOWN after SIGTERM").atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(100))
                        .until(() -> ServiceProcess.status(HTTP, ingest.managementUri("/q/health/ready")) == 503);

                Thread.sleep(Math.max(0, Duration.between(Instant.now(), signal.plus(AFTER_SIGNAL)).toMillis()));
                sending.set(false);
                for (Thread sender : senders) {
                    sender.join();
                }
                assertTrue(ingest.awaitExit(Duration.ofSeconds(30)).isPresent(), "ingest still runs 30 s after SIGTERM");
            } finally {
                sending.set(false);
                ingest.close();
            }

            List<Outcome> failed = outcomes.stream().filter(o -> o.status() != 200).toList();
            assertEquals(List.of(), failed.stream().limit(5).toList(), failed.size() + " of " + outcomes.size()
                    + " requests failed, the first five shown; SIGTERM at " + signal);
            long afterSignal = outcomes.stream().filter(o -> o.sentAt().isAfter(signal)).count();
            assertTrue(afterSignal >= SENDERS, "requests sent after SIGTERM: " + afterSignal);

            Map<String, Integer> onKafka = topic.rawCounts();
            List<String> lost = outcomes.stream().flatMap(o -> o.messageIds().stream())
                    .filter(id -> !onKafka.containsKey(id)).toList();
            assertEquals(List.of(), lost.stream().limit(5).toList(),
                    lost.size() + " acknowledged events are not on the raw topic, the first five shown");
        }
    }

    private static Outcome sendBatch(ServiceProcess ingest, String key) {
        Instant sentAt = Instant.now();
        List<String> ids = new ArrayList<>();
        List<Map<String, Object>> batch = new ArrayList<>();
        for (int i = 0; i < EVENTS_PER_BATCH; i++) {
            String id = UUID.randomUUID().toString();
            ids.add(id);
            batch.add(Map.of("type", "track", "messageId", id, "userId", "user-" + i, "event", "Song Played",
                    "timestamp", sentAt.toString()));
        }
        String basic = Base64.getEncoder().encodeToString((key + ":").getBytes(StandardCharsets.UTF_8));
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(ingest.uri("/v1/batch"))
                    .timeout(Duration.ofSeconds(30)).header("Authorization", "Basic " + basic)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("batch", batch)))).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Outcome(sentAt, response.statusCode(), response.statusCode() == 200 ? null : response.body(),
                    response.statusCode() == 200 ? ids : List.of());
        } catch (Exception e) {
            return new Outcome(sentAt, -1, e.toString(), List.of());
        }
    }
}
