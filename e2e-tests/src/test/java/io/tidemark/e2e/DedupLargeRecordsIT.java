package io.tidemark.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.testsupport.PrivateStack;
import io.tidemark.testsupport.ServiceProcess;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A backlog of near-maximal events (about 30 KB each, as ingest accepts them) piles up while
 * Cassandra is down: dedup-service, run with its shipped JVM options (a fixed 288 MB heap, exit on
 * OutOfMemoryError), must hold only what its byte bounds allow, stay alive, and store every event
 * exactly once when Cassandra is back. Bounded by record counts alone, it held thousands of such
 * records per partition and died, and a restarted dedup would re-read the same backlog and die again.
 */
class DedupLargeRecordsIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int EVENTS = 20_000;
    /** Characters of the one big property: the encoded event stays under ingest's 32 KB limit. */
    private static final int BLOB_CHARS = 30_000;
    private static final int INGEST_MAX_EVENT_BYTES = 32 * 1024;
    /** How long dedup may take to pull what its bounds allow while Cassandra is away, once the backlog is sent. */
    private static final Duration FILL = Duration.ofSeconds(60);
    /**
     * How long dedup's consumers must take no record for their bounds to count as full: they pause once
     * the connector's queue is full, and nothing is acknowledged while Cassandra is away.
     */
    private static final Duration PAUSED = Duration.ofSeconds(5);
    /**
     * How long the backlog goes on waiting once the bounds are full, before Cassandra starts again (its
     * start adds about 13 s more): longer than dedup's longest retry backoff (retry.max-backoff, 10 s),
     * so every held batch is retried again while everything the bounds allow is held.
     */
    private static final Duration FULL_WAIT = Duration.ofSeconds(15);
    private static final Duration DRAIN_PATIENCE = Duration.ofMinutes(10);
    private static final Pattern HEAP_POOL = Pattern.compile(
            "^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*id=\"([^\"]+)\"[^}]*} ([0-9.E+]+)", Pattern.MULTILINE);
    /** The old generation right after the last full collection: what was really alive, not garbage. */
    private static final Pattern LIVE_AFTER_FULL_GC = Pattern.compile(
            "^jvm_gc_live_data_size_bytes(?:\\{[^}]*})? ([0-9.E+]+)", Pattern.MULTILINE);
    private static final String LIVE = "live after a full collection";
    /** Records each of dedup's Kafka consumers has taken from the raw topic (once per topic label spelling). */
    private static final Pattern CONSUMED = Pattern.compile(
            "^kafka_consumer_fetch_manager_records_consumed_total\\{[^}]*client_id=\"([^\"]+)\"[^}]*} ([0-9.E+]+)",
            Pattern.MULTILINE);

    /** Peaks of dedup's memory, sampled every second in the background; printed per phase. */
    private static final class MemoryPeaks implements AutoCloseable {
        private final ServiceProcess dedup;
        private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        private final AtomicLong rss = new AtomicLong();
        private final AtomicLong heap = new AtomicLong();
        private final AtomicLong oldGen = new AtomicLong();
        private final AtomicLong live = new AtomicLong();

        MemoryPeaks(ServiceProcess dedup) {
            this.dedup = dedup;
            sampler.scheduleAtFixedRate(this::sample, 0, 1, TimeUnit.SECONDS);
        }

        private void sample() {
            try {
                rss.accumulateAndGet(rssBytes(dedup.pid()), Math::max);
                Map<String, Long> pools = heapPools(dedup);
                heap.accumulateAndGet(pools.entrySet().stream().filter(pool -> !pool.getKey().equals(LIVE))
                        .mapToLong(Map.Entry::getValue).sum(), Math::max);
                oldGen.accumulateAndGet(pools.getOrDefault("PS Old Gen", 0L), Math::max);
                live.accumulateAndGet(pools.getOrDefault(LIVE, 0L), Math::max);
            } catch (IOException | RuntimeException gone) {
                // The process may be gone or busy; the next sample tries again.
            }
        }

        /** Prints and resets the peaks since the last call. */
        void report(String phase) {
            System.out.printf("dedup %s: peak RSS %d MB, peak heap used %d MB, peak old generation %d MB, "
                    + "peak old generation live after a full collection %d MB%n", phase, rss.getAndSet(0) >> 20,
                    heap.getAndSet(0) >> 20, oldGen.getAndSet(0) >> 20, live.getAndSet(0) >> 20);
        }

        @Override
        public void close() {
            sampler.shutdownNow();
        }
    }

    @Test
    void aBacklogOfMaximalEventsDuringAnOutageIsStoredOnceWithoutRunningOutOfMemory() throws Exception {
        String source = "dedup-large-" + UUID.randomUUID().toString().substring(0, 8);
        Instant time = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(1, ChronoUnit.DAYS).plus(12, ChronoUnit.HOURS);
        LocalDate day = LocalDate.ofInstant(time, ZoneOffset.UTC);
        List<String> ids = DedupDuplicatesIT.ids("large", EVENTS);

        PrivateStack stack = PrivateStack.shared();
        try (RawTopic topic = RawTopic.create(stack.kafkaBootstrap())) {
            List<String> properties = new ArrayList<>(topic.dedupProperties());
            properties.add("quarkus.cassandra.contact-points=127.0.0.1:" + stack.cassandraPort());
            ServiceProcess dedup = ServiceProcess.launch("dedup-service", properties);
            MemoryPeaks peaks = new MemoryPeaks(dedup);
            try {
                dedup.awaitReady();
                stack.stopCassandra();
                DedupDuplicatesIT.await(() -> ServiceProcess.status(HTTP, dedup.managementUri("/q/health/ready")) == 503,
                        "dedup reports not ready without Cassandra");

                for (int i = 0; i < ids.size(); i++) {
                    CollectedEvent event = large(source, ids.get(i), time.plusMillis(i));
                    if (i == 0) {
                        int size = EventCodec.encode(event).length;
                        assertTrue(size > BLOB_CHARS && size <= INGEST_MAX_EVENT_BYTES, "an event ingest accepts, near its limit: " + size);
                    }
                    topic.send(event);
                }
                topic.flush();

                long pulled = awaitBoundsFull(dedup);
                System.out.printf("dedup took %d of %d records, then paused its consumers%n", pulled, EVENTS);
                assertTrue(pulled < EVENTS, "dedup stops taking records at its bounds, short of the backlog: " + pulled);
                try {
                    await("dedup stays alive while the backlog waits for Cassandra").during(FULL_WAIT)
                            .atMost(FULL_WAIT.plusSeconds(5)).pollInterval(Duration.ofSeconds(1)).until(dedup::isAlive);
                } catch (ConditionTimeoutException e) {
                    throw new AssertionError("dedup died while the backlog waited for Cassandra; see its log:\n" + tail(dedup.logText()), e);
                }
                peaks.report("while the backlog waits for Cassandra");

                stack.startCassandra();
                await("dedup consumed every record").atMost(DRAIN_PATIENCE).pollInterval(Duration.ofMillis(500))
                        .until(() -> {
                            assertTrue(dedup.isAlive(), "dedup is alive while it drains the backlog; see its log:\n"
                                    + tail(dedup.logText()));
                            return topic.allConsumed();
                        });
                peaks.report("while it drains the backlog");
                assertTrue(dedup.isAlive(), "dedup never exited");
            } finally {
                peaks.close();
                // Every record is committed: see ServiceProcess.closeInBackground.
                dedup.closeInBackground();
            }

            // A session opened after the outage: one from before it can still be reconnecting.
            try (StoredRows stored = new StoredRows("127.0.0.1", stack.cassandraPort())) {
                assertEquals(DedupDuplicatesIT.once(ids), StoredRows.counts(stored.rows(source, List.of(day))),
                        "rows per messageId");
            }
        }
    }

    /**
     * Waits until dedup's consumers have taken no record for {@link #PAUSED}, failing if dedup dies or still
     * takes records after {@link #FILL}; how many they took.
     */
    private static long awaitBoundsFull(ServiceProcess dedup) throws IOException {
        AtomicLong pulled = new AtomicLong(-1);
        AtomicReference<Instant> since = new AtomicReference<>(Instant.now());
        try {
            await("dedup's consumers pause at its bounds").atMost(FILL).pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofSeconds(1)).until(() -> {
                        assertTrue(dedup.isAlive(), "dedup died while the backlog waited for Cassandra; see its log:\n"
                                + tail(dedup.logText()));
                        long now = recordsPulled(dedup);
                        if (now != pulled.getAndSet(now)) {
                            since.set(Instant.now());
                        }
                        return now > 0 && Duration.between(since.get(), Instant.now()).compareTo(PAUSED) >= 0;
                    });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("dedup still takes records after " + FILL + " without Cassandra (" + pulled.get()
                    + " of " + EVENTS + "); see its log:\n" + tail(dedup.logText()), e);
        }
        return pulled.get();
    }

    /** Records dedup's Kafka consumers have taken so far, from its metrics; -1 while they cannot be read. */
    private static long recordsPulled(ServiceProcess dedup) {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(dedup.managementUri("/q/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            Map<String, Long> byConsumer = new HashMap<>();
            Matcher consumed = CONSUMED.matcher(response.body());
            while (consumed.find()) {
                byConsumer.merge(consumed.group(1), (long) Double.parseDouble(consumed.group(2)), Math::max);
            }
            return byConsumer.values().stream().mapToLong(Long::longValue).sum();
        } catch (IOException busy) {
            return -1;
        } catch (InterruptedException stopped) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** A valid track event whose properties carry one big string, as a customer may send within 32 KB. */
    private static CollectedEvent large(String source, String messageId, Instant time) {
        CollectedEvent small = RawTopic.event(source, messageId, time);
        ObjectNode properties = JSON.createObjectNode();
        StringBuilder blob = new StringBuilder(BLOB_CHARS);
        while (blob.length() < BLOB_CHARS) {
            blob.append(messageId);
        }
        properties.put("blob", blob.substring(0, BLOB_CHARS));
        return new CollectedEvent(small.v(), small.source(), small.messageId(), small.type(), small.event(), small.name(),
                small.userId(), small.anonymousId(), small.groupId(), small.previousId(), properties, small.traits(),
                small.context(), small.integrations(), small.timestamp(), small.originalTimestamp(), small.sentAt(),
                small.receivedAt(), small.flags());
    }

    private static long rssBytes(long pid) throws IOException {
        Path status = Path.of("/proc", Long.toString(pid), "status");
        if (!Files.exists(status)) {
            return 0;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return 0;
    }

    /**
     * Bytes in use per heap pool (eden, survivors, old generation) from dedup's metrics, and under
     * {@link #LIVE} the old generation after the last full collection; the old generation is where
     * records waiting longer than a young collection end up.
     */
    private static Map<String, Long> heapPools(ServiceProcess dedup) throws IOException {
        try {
            URI metrics = dedup.managementUri("/q/metrics");
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            Map<String, Long> pools = new HashMap<>();
            Matcher used = HEAP_POOL.matcher(response.body());
            while (used.find()) {
                pools.put(used.group(1), (long) Double.parseDouble(used.group(2)));
            }
            Matcher live = LIVE_AFTER_FULL_GC.matcher(response.body());
            if (live.find()) {
                pools.put(LIVE, (long) Double.parseDouble(live.group(1)));
            }
            return pools;
        } catch (InterruptedException stopped) {
            Thread.currentThread().interrupt();
            return Map.of();
        }
    }

    private static String tail(String log) {
        return log.substring(Math.max(0, log.length() - 4000));
    }
}
