package io.tidemark.bench.dedup;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.net.URI;
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
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Open-loop load into ingest's {@code /v1/batch} at a fixed event rate, and for each event the time
 * from ingest's 200 to dedup having stored it. Dedup publishes to the clean topic only after
 * Cassandra acknowledged the row, so the clean record's arrival is a (slightly late) witness of the
 * row being readable; the figure can only overstate the latency.
 *
 * <p>The load starts with a warm-up, ramping up to the rate, whose events count as sent and stored but not
 * in the percentiles: ingest is started fresh for the probe, and its first seconds of compilation take
 * the CPU dedup needs on a small machine, which is not the steady state the figure is about. Every
 * window of five seconds is printed as well, warm-up included, so nothing is hidden.
 */
final class LatencyProbe {

    private static final int EVENTS_PER_REQUEST = 10;
    private static final long WINDOW_NANOS = 5_000_000_000L;

    record Result(int sent, int acked, int stored, double p50Millis, double p99Millis, double maxMillis) {
    }

    private LatencyProbe() {
    }

    /**
     * {@code tag} goes into every messageId: probes run one after another against the same dedup
     * must not send the ids of an earlier one, which dedup would drop as duplicates, never to be seen stored.
     */
    static Result run(URI ingest, String writeKey, String source, String bootstrap, String cleanTopic,
            double eventsPerSecond, Duration warmUp, Duration duration, String tag) throws Exception {
        Map<String, Long> acked = new ConcurrentHashMap<>();
        Map<String, Long> stored = new ConcurrentHashMap<>();
        AtomicBoolean listening = new AtomicBoolean(true);
        AtomicBoolean positioned = new AtomicBoolean(false);
        Thread listener = new Thread(() -> listen(bootstrap, cleanTopic, source + ":", stored, listening, positioned),
                "clean-listener");
        listener.start();
        while (!positioned.get()) {
            Thread.sleep(20);
        }

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String authorization = "Basic " + Base64.getEncoder()
                .encodeToString((writeKey + ":").getBytes(StandardCharsets.UTF_8));
        int measuredRequests = (int) Math.max(1, Math.round(eventsPerSecond * duration.toSeconds() / EVENTS_PER_REQUEST));
        long intervalNanos = (long) (1e9 * EVENTS_PER_REQUEST / eventsPerSecond);
        long warmUpNanos = warmUp.toNanos();
        // Why requests were not acknowledged (a status, or the client's exception), so a step that lost
        // events says whether ingest refused them or the probe gave up on them.
        Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
        List<java.util.concurrent.CompletableFuture<?>> pending = new ArrayList<>();
        long start = System.nanoTime();
        long due = start;
        int requests = 0;
        for (int measured = 0; measured < measuredRequests; requests++) {
            // The warm-up ramps from a tenth of the rate up to it: a fresh ingest compiling at full rate
            // starved dedup of CPU for half a minute, and the backlog that left took as long to drain.
            boolean warming = due - start < warmUpNanos;
            double ramp = warming ? 0.1 + 0.9 * (due - start) / warmUpNanos : 1;
            if (!warming) {
                measured++;
            }
            long wait = due - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            List<String> ids = new ArrayList<>(EVENTS_PER_REQUEST);
            StringBuilder body = new StringBuilder("{\"batch\":[");
            String now = Instant.now().toString();
            for (int e = 0; e < EVENTS_PER_REQUEST; e++) {
                String id = (warming ? "warm-" : "lat-") + tag + "-" + requests + "-" + e;
                ids.add(id);
                body.append(e == 0 ? "" : ",").append("{\"type\":\"track\",\"messageId\":\"").append(id)
                        .append("\",\"userId\":\"user-").append(requests % 500).append("\",\"event\":\"Product Viewed\",")
                        .append("\"timestamp\":\"").append(now).append("\",\"properties\":{\"sku\":\"sku-")
                        .append(e).append("\",\"price\":12.5}}");
            }
            body.append("],\"sentAt\":\"").append(now).append("\"}");
            pending.add(http.sendAsync(HttpRequest.newBuilder(ingest.resolve("/v1/batch"))
                            .header("Content-Type", "application/json").header("Authorization", authorization)
                            .timeout(Duration.ofSeconds(30))
                            .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                    HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
                        long at = System.nanoTime();
                        if (error == null && response.statusCode() == 200) {
                            ids.forEach(id -> acked.put(id, at));
                        } else {
                            String reason = error != null ? rootCause(error).getClass().getSimpleName()
                                    : "HTTP " + response.statusCode();
                            failures.computeIfAbsent(reason, r -> new AtomicInteger()).incrementAndGet();
                        }
                    }));
            due += (long) (intervalNanos / ramp);
        }
        for (var p : pending) {
            try {
                p.join();
            } catch (RuntimeException counted) {
                // counted by reason above
            }
        }
        Instant deadline = Instant.now().plusSeconds(60);
        while (!stored.keySet().containsAll(acked.keySet()) && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
        }
        listening.set(false);
        listener.join();

        List<Double> latencies = new ArrayList<>();
        Map<Long, List<Double>> byWindow = new TreeMap<>();
        AtomicInteger ackedAndStored = new AtomicInteger();
        acked.forEach((id, ackAt) -> {
            Long storedAt = stored.get(id);
            if (storedAt != null) {
                ackedAndStored.incrementAndGet();
                double millis = Math.max(0, storedAt - ackAt) / 1e6;
                byWindow.computeIfAbsent((ackAt - start) / WINDOW_NANOS, w -> new ArrayList<>()).add(millis);
                if (id.startsWith("lat-")) {
                    latencies.add(millis);
                }
            }
        });
        latencies.sort(Double::compare);
        StringBuilder windows = new StringBuilder("  latency: p99 per 5 s of acknowledgements (warm-up "
                + warmUp.toSeconds() + " s):");
        byWindow.values().forEach(window -> {
            window.sort(Double::compare);
            windows.append(' ').append(Math.round(percentile(window, 0.99)));
        });
        System.out.println(windows.append(" ms"));
        if (!failures.isEmpty()) {
            System.out.println("  latency: requests not acknowledged, by reason: " + new TreeMap<>(failures));
        }
        return new Result(requests * EVENTS_PER_REQUEST, acked.size(), ackedAndStored.get(), percentile(latencies, 0.50),
                percentile(latencies, 0.99), latencies.isEmpty() ? Double.NaN : latencies.get(latencies.size() - 1));
    }

    private static void listen(String bootstrap, String topic, String keyPrefix, Map<String, Long> stored,
            AtomicBoolean listening, AtomicBoolean positioned) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                // The broker answers a fetch as soon as one record is there (fetch.min.bytes 1), so the
                // default wait bounds only empty fetches: shorter adds Kafka CPU, not precision.
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
            positioned.set(true);
            while (listening.get()) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(20))) {
                    long at = System.nanoTime();
                    if (record.key() != null && record.key().startsWith(keyPrefix)) {
                        stored.putIfAbsent(record.key().substring(keyPrefix.length()), at);
                    }
                }
            }
        } finally {
            positioned.set(true);
        }
    }

    private static Throwable rootCause(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static double percentile(List<Double> sorted, double q) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
    }
}
