package io.tidemark.bench.dedup;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

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
    /**
     * Connections of the probe's sender, opened per probe and closed at its end, so no step inherits another's.
     * Ingest answered a request in 6-7 ms at the median at every step of a full run (34-62 ms at the p99), so 16
     * carry about 2,300 requests a second, past the highest step's 1,300 (of 10 events each); a request that
     * finds them all busy waits in the sender's queue, and the offered rate holds.
     */
    private static final int CONNECTIONS = 16;

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
        int measuredRequests = (int) Math.max(1, Math.round(eventsPerSecond * duration.toSeconds() / EVENTS_PER_REQUEST));
        long intervalNanos = (long) (1e9 * EVENTS_PER_REQUEST / eventsPerSecond);
        long warmUpNanos = warmUp.toNanos();
        // The warm-up ramps from a tenth of the rate, so it sends fewer requests than this bound.
        int capacity = measuredRequests + (int) Math.ceil(warmUpNanos / (double) intervalNanos) + 1;
        // One slot per event, by request number and place in the request: the probe shares the machine
        // with what it measures, and maps of ids and futures held for a whole step made its collector copy
        // hundreds of thousands of objects at each young collection (13 pauses in 100 s, 112 ms each).
        AtomicLongArray acked = new AtomicLongArray(capacity * EVENTS_PER_REQUEST);
        AtomicLongArray stored = new AtomicLongArray(capacity * EVENTS_PER_REQUEST);
        String idPrefix = "p-" + tag + "-";
        // Slots hold nanoseconds since this origin, so that 0 can mean "not yet".
        long origin = System.nanoTime() - 1;
        AtomicBoolean listening = new AtomicBoolean(true);
        AtomicBoolean positioned = new AtomicBoolean(false);
        Thread listener = new Thread(() -> listen(bootstrap, cleanTopic, source + ":" + idPrefix, stored, origin,
                listening, positioned), "clean-listener");
        listener.start();
        // Why requests were not acknowledged (a status, or the client's exception), so a step that lost
        // events says whether ingest refused them or the probe gave up on them.
        Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
        int requests = 0;
        int firstMeasured = -1;
        long start;
        // The listener and the sender's connections end with the probe, also when a step fails.
        try {
            while (!positioned.get()) {
                Thread.sleep(20);
            }
            String authorization = "Basic " + Base64.getEncoder()
                    .encodeToString((writeKey + ":").getBytes(StandardCharsets.UTF_8));
            AtomicInteger answered = new AtomicInteger();
            start = System.nanoTime();
            long due = start;
            try (KeepAlivePoster poster = new KeepAlivePoster(ingest.resolve("/v1/batch"), authorization, CONNECTIONS,
                    Duration.ofSeconds(30))) {
                for (int measured = 0; measured < measuredRequests && requests < capacity; requests++) {
                    // The warm-up ramps from a tenth of the rate up to it: a fresh ingest compiling at full rate
                    // starved dedup of CPU for half a minute, and the backlog that left took as long to drain.
                    boolean warming = due - start < warmUpNanos;
                    double ramp = warming ? 0.1 + 0.9 * (due - start) / warmUpNanos : 1;
                    if (!warming) {
                        firstMeasured = firstMeasured < 0 ? requests : firstMeasured;
                        measured++;
                    }
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                    int first = requests * EVENTS_PER_REQUEST;
                    poster.post(batch(idPrefix, requests), (status, error) -> {
                        long at = System.nanoTime() - origin;
                        if (status == 200) {
                            for (int e = 0; e < EVENTS_PER_REQUEST; e++) {
                                acked.set(first + e, at);
                            }
                        } else {
                            String reason = error != null ? error.getClass().getSimpleName() : "HTTP " + status;
                            failures.computeIfAbsent(reason, r -> new AtomicInteger()).incrementAndGet();
                        }
                        answered.incrementAndGet();
                    });
                    due += (long) (intervalNanos / ramp);
                }
                // Every request ends within its 30 s timeout; the margin covers a connection that was still opening.
                long answerDeadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
                while (answered.get() < requests && System.nanoTime() < answerDeadline) {
                    Thread.sleep(20);
                }
            }
            long storeDeadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!allStored(acked, stored, requests * EVENTS_PER_REQUEST) && System.nanoTime() < storeDeadline) {
                Thread.sleep(100);
            }
        } finally {
            listening.set(false);
            listener.join();
        }
        firstMeasured = firstMeasured < 0 ? requests : firstMeasured;
        int events = requests * EVENTS_PER_REQUEST;

        int ackedCount = 0;
        int ackedAndStored = 0;
        double[] latencies = new double[events];
        int measuredCount = 0;
        Map<Long, List<Double>> byWindow = new TreeMap<>();
        for (int i = 0; i < events; i++) {
            long ackAt = acked.get(i);
            if (ackAt == 0) {
                continue;
            }
            ackedCount++;
            long storedAt = stored.get(i);
            if (storedAt == 0) {
                continue;
            }
            ackedAndStored++;
            double millis = Math.max(0, storedAt - ackAt) / 1e6;
            byWindow.computeIfAbsent((ackAt + origin - start) / WINDOW_NANOS, w -> new ArrayList<>()).add(millis);
            if (i >= firstMeasured * EVENTS_PER_REQUEST) {
                latencies[measuredCount++] = millis;
            }
        }
        double[] measuredLatencies = Arrays.copyOf(latencies, measuredCount);
        Arrays.sort(measuredLatencies);
        StringBuilder windows = new StringBuilder("  latency: p99 per 5 s of acknowledgements (warm-up "
                + warmUp.toSeconds() + " s):");
        byWindow.values().forEach(window -> {
            double[] sorted = window.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            windows.append(' ').append(Math.round(percentile(sorted, 0.99)));
        });
        System.out.println(windows.append(" ms"));
        if (!failures.isEmpty()) {
            System.out.println("  latency: requests not acknowledged, by reason: " + new TreeMap<>(failures));
        }
        return new Result(events, ackedCount, ackedAndStored, percentile(measuredLatencies, 0.50),
                percentile(measuredLatencies, 0.99),
                measuredCount == 0 ? Double.NaN : measuredLatencies[measuredCount - 1]);
    }

    private static boolean allStored(AtomicLongArray acked, AtomicLongArray stored, int events) {
        for (int i = 0; i < events; i++) {
            if (acked.get(i) != 0 && stored.get(i) == 0) {
                return false;
            }
        }
        return true;
    }

    /** Request number {@code request}'s body: EVENTS_PER_REQUEST track events stamped now. */
    private static byte[] batch(String idPrefix, int request) {
        StringBuilder body = new StringBuilder(160 * EVENTS_PER_REQUEST).append("{\"batch\":[");
        String now = Instant.now().toString();
        for (int e = 0; e < EVENTS_PER_REQUEST; e++) {
            body.append(e == 0 ? "" : ",").append("{\"type\":\"track\",\"messageId\":\"").append(idPrefix)
                    .append(request * EVENTS_PER_REQUEST + e).append("\",\"userId\":\"user-").append(request % 500)
                    .append("\",\"event\":\"Product Viewed\",").append("\"timestamp\":\"").append(now)
                    .append("\",\"properties\":{\"sku\":\"sku-").append(e).append("\",\"price\":12.5}}");
        }
        body.append("],\"sentAt\":\"").append(now).append("\"}");
        return body.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Records the first sighting of each of this probe's events on the clean topic. A clean record's key
     * is {@code source:messageId}, and this probe's messageIds are its prefix and the event's slot.
     */
    private static void listen(String bootstrap, String topic, String keyPrefix, AtomicLongArray stored, long origin,
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
                    long at = System.nanoTime() - origin;
                    String key = record.key();
                    if (key != null && key.startsWith(keyPrefix)) {
                        int slot = Integer.parseInt(key, keyPrefix.length(), key.length(), 10);
                        if (slot < stored.length()) {
                            stored.compareAndSet(slot, 0, at);
                        }
                    }
                }
            }
        } finally {
            positioned.set(true);
        }
    }

    private static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }
}
