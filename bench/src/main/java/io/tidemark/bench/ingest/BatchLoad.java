package io.tidemark.bench.ingest;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A closed-loop load generator: each of N threads posts a request and waits for the answer, so N
 * HTTP/1.1 connections each carry one request at a time, as N SDK senders would. Bodies are built before the run so that the generator spends its CPU on
 * sending, not on writing JSON (it shares the machine with the service).
 */
final class BatchLoad {

    private static final int DISTINCT_BODIES = 500;

    /** Events per second of 200 answers in the measured window, latency percentiles, and the peak RSS. */
    record Result(double eventsPerSecond, double p50Millis, double p99Millis, long maxRssKb, long failures,
                  long acknowledgedEvents) {
    }

    private final URI endpoint;
    private final String authorization;
    private final String contentType;
    private final int connections;
    private final int eventsPerRequest;
    private final List<byte[]> bodies;
    private final int eventBytes;

    private BatchLoad(URI endpoint, String writeKey, String contentType, int connections, int eventsPerRequest,
            List<byte[]> bodies, int eventBytes) {
        this.endpoint = endpoint;
        this.authorization = "Basic " + Base64.getEncoder().encodeToString((writeKey + ":").getBytes(StandardCharsets.UTF_8));
        this.contentType = contentType;
        this.connections = connections;
        this.eventsPerRequest = eventsPerRequest;
        this.bodies = bodies;
        this.eventBytes = eventBytes;
    }

    /** {@code POST /v1/batch} as the server SDKs send it: JSON batches of {@code eventsPerBatch} events. */
    static BatchLoad batches(URI endpoint, String writeKey, int connections, int eventsPerBatch, int targetEventBytes) {
        String sentAt = Instant.now().toString();
        List<byte[]> bodies = new ArrayList<>();
        int sample = 0;
        for (int b = 0; b < DISTINCT_BODIES; b++) {
            StringBuilder body = new StringBuilder(eventsPerBatch * (targetEventBytes + 2) + 64).append("{\"batch\":[");
            for (int e = 0; e < eventsPerBatch; e++) {
                String event = event("bench-" + b + "-" + e + "-" + System.nanoTime(), b, e, sentAt, targetEventBytes, "");
                sample = event.length();
                body.append(e == 0 ? "" : ",").append(event);
            }
            body.append("],\"sentAt\":\"").append(sentAt).append("\"}");
            bodies.add(body.toString().getBytes(StandardCharsets.UTF_8));
        }
        return new BatchLoad(endpoint, writeKey, "application/json", connections, eventsPerBatch, bodies, sample);
    }

    /**
     * {@code POST /v1/t} as the web tag sends it: one call per request, {@code text/plain}, the write key
     * in the body (and in the Authorization header, as analytics-next sends both), its own sentAt.
     */
    static BatchLoad browserCalls(URI endpoint, String writeKey, int connections, int targetEventBytes) {
        String sentAt = Instant.now().toString();
        List<byte[]> bodies = new ArrayList<>();
        int sample = 0;
        for (int b = 0; b < DISTINCT_BODIES * 20; b++) {
            String event = event("ajs-next-" + b + "-" + System.nanoTime(), b, 0, sentAt, targetEventBytes,
                    "\"writeKey\":\"" + writeKey + "\",\"sentAt\":\"" + sentAt + "\",");
            sample = event.length();
            bodies.add(event.getBytes(StandardCharsets.UTF_8));
        }
        return new BatchLoad(endpoint, writeKey, "text/plain", connections, 1, bodies, sample);
    }

    int eventBytes() {
        return eventBytes;
    }

    /** A track call padded to about {@code target} bytes, shaped like what an SDK sends. */
    private static String event(String messageId, int batch, int index, String time, int target, String envelope) {
        String head = "{" + envelope + "\"type\":\"track\",\"messageId\":\"" + messageId + "\",\"userId\":\"user-" + (batch * 31 + index) % 5000
                + "\",\"event\":\"Product Viewed\",\"timestamp\":\"" + time + "\",\"properties\":{\"sku\":\"sku-"
                + index + "\",\"price\":19.99,\"note\":\"";
        String tail = "\"},\"context\":{\"library\":{\"name\":\"bench\",\"version\":\"1\"}}}";
        int padding = Math.max(0, target - head.length() - tail.length());
        return head + "x".repeat(padding) + tail;
    }

    Result run(Duration warmUp, Duration measured, LongSupplier rssKb) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicLong okEvents = new AtomicLong();
        AtomicLong acknowledged = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        List<long[]> latencies = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        // One client: its pool opens one HTTP/1.1 connection per concurrently waiting worker.
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        for (int w = 0; w < connections; w++) {
            long[] mine = new long[1 << 18];
            latencies.add(mine);
            int offset = w;
            Thread worker = new Thread(() -> {
                int n = 0;
                int recorded = 0;
                while (!stop.get()) {
                    byte[] body = bodies.get((offset + n++ * connections) % bodies.size());
                    HttpRequest request = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(30))
                            .header("Content-Type", contentType).header("Authorization", authorization)
                            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
                    long start = System.nanoTime();
                    boolean ok;
                    try {
                        ok = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                    } catch (Exception e) {
                        ok = false;
                    }
                    long took = System.nanoTime() - start;
                    if (ok) {
                        acknowledged.addAndGet(eventsPerRequest);
                    }
                    if (measuring.get()) {
                        if (ok) {
                            okEvents.addAndGet(eventsPerRequest);
                            if (recorded < mine.length) {
                                mine[recorded++] = took;
                            }
                        } else {
                            failures.incrementAndGet();
                        }
                    }
                }
                mine[mine.length - 1] = recorded;
            }, "bench-ingest-" + w);
            workers.add(worker);
            worker.start();
        }
        Thread.sleep(warmUp.toMillis());
        measuring.set(true);
        long started = System.nanoTime();
        long maxRss = 0;
        long end = started + measured.toNanos();
        while (System.nanoTime() < end) {
            Thread.sleep(250);
            maxRss = Math.max(maxRss, rssKb.getAsLong());
        }
        measuring.set(false);
        double seconds = (System.nanoTime() - started) / 1e9;
        long events = okEvents.get();
        stop.set(true);
        for (Thread worker : workers) {
            worker.join(60_000);
        }
        long total = 0;
        for (long[] l : latencies) {
            total += l[l.length - 1];
        }
        long[] all = new long[(int) total];
        int i = 0;
        for (long[] l : latencies) {
            int count = (int) l[l.length - 1];
            System.arraycopy(l, 0, all, i, count);
            i += count;
        }
        Arrays.sort(all);
        if (measured.isZero()) {
            return new Result(0, Double.NaN, Double.NaN, maxRss, failures.get(), acknowledged.get());
        }
        return new Result(events / seconds, percentile(all, 0.50), percentile(all, 0.99), maxRss, failures.get(),
                acknowledged.get());
    }

    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
    }
}
