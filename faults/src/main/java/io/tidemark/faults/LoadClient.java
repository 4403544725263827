package io.tidemark.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tidemark.event.EventIndexLayout;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A client that behaves like the Segment SDKs under trouble: it retries the same messageId on
 * timeouts, 5xx and 429 with exponential backoff (honouring Retry-After) until it gets a 2xx, and it
 * re-sends acknowledged events (a timeout that fired after the server had answered), so the
 * pipeline sees real duplicates. Events are up to 30 days late and come in bursts, from several sources.
 */
final class LoadClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration MIN_BACKOFF = Duration.ofMillis(100);
    private static final int BURST_BATCH_SIZE = 20;
    private static final String[] EVENTS = {"Order Completed", "Product Viewed", "Signed Up", "Cart Updated"};

    /** One event as the client holds it across its retries. */
    private record Pending(String messageId, Source source, GroundTruth.Expected expected, ObjectNode body) {
    }

    private final List<URI> ingests;
    private final List<Source> sources;
    private final FaultSettings settings;
    private final GroundTruth truth;
    private final String tag;
    private final HttpClient http;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean batchSupported = true;
    private volatile Instant drainDeadline = Instant.MAX;
    private final Instant started = Instant.now();

    /**
     * {@code ingests}: the replicas of ingest; each request goes to one of them and its retries move on
     * to the next, as behind a load balancer that takes a failing backend out.
     */
    LoadClient(List<URI> ingests, List<Source> sources, FaultSettings settings, GroundTruth truth, String tag) {
        this.ingests = List.copyOf(ingests);
        this.sources = sources;
        this.settings = settings;
        this.truth = truth;
        this.tag = tag;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.requestTimeout()).build();
    }

    void start() {
        for (int i = 0; i < settings.workers(); i++) {
            Thread worker = new Thread(this::work, "load-" + tag + "-" + i);
            worker.setDaemon(true);
            workers.add(worker);
            worker.start();
        }
    }

    /** Stops creating events; events in flight are retried until acknowledged or the drain time ends. */
    void stopAndDrain() throws InterruptedException {
        drainDeadline = Instant.now().plus(settings.drain());
        stopping.set(true);
        for (Thread worker : workers) {
            worker.join(settings.drain().plusSeconds(30).toMillis());
        }
    }

    private void work() {
        while (!stopping.get()) {
            try {
                if (inBurst()) {
                    sendBurst();
                } else {
                    sendOne(newEvent());
                }
                Thread.sleep(settings.pace().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private boolean inBurst() {
        long sinceStart = Duration.between(started, Instant.now()).toMillis();
        return sinceStart % settings.burstEvery().toMillis() < settings.burstLength().toMillis();
    }

    private void sendOne(Pending event) throws InterruptedException {
        if (deliver(event.source(), "/v1/track", event.body()).isPresent()) {
            truth.requestAcknowledged();
            truth.acknowledged(event.messageId(), event.expected());
            maybeResend(event);
        } else {
            truth.abandoned(event.messageId(), event.expected());
        }
    }

    /** A burst: a batch of events of one source in one request, as SDKs flush their queue. */
    private void sendBurst() throws InterruptedException {
        if (!batchSupported) {
            sendOne(newEvent());
            return;
        }
        Source source = sources.get(ThreadLocalRandom.current().nextInt(sources.size()));
        List<Pending> events = new ArrayList<>();
        ObjectNode body = JSON.createObjectNode();
        ArrayNode batch = body.putArray("batch");
        for (int i = 0; i < BURST_BATCH_SIZE; i++) {
            Pending event = newEvent(source);
            event.body().put("type", "track");
            events.add(event);
            batch.add(event.body());
        }
        Optional<JsonNode> answer = deliver(source, "/v1/batch", body);
        if (answer.isEmpty()) {
            events.forEach(e -> truth.abandoned(e.messageId(), e.expected()));
            return;
        }
        truth.requestAcknowledged();
        java.util.Set<Integer> rejected = new java.util.HashSet<>();
        answer.get().path("rejected").forEach(r -> rejected.add(r.path("index").asInt(-1)));
        for (int i = 0; i < events.size(); i++) {
            if (rejected.contains(i)) {
                truth.refused.incrementAndGet();
                Log.info("batch event refused, a bug of the suite or of ingest: " + answer.get());
                truth.abandoned(events.get(i).messageId(), events.get(i).expected());
            } else {
                truth.acknowledged(events.get(i).messageId(), events.get(i).expected());
            }
        }
        if (ThreadLocalRandom.current().nextDouble() < settings.duplicateRate()) {
            // The whole flush again: the SDK's request timed out after ingest had answered.
            truth.duplicateSends.addAndGet(events.size());
            deliver(source, "/v1/batch", body);
        }
    }

    /** With the duplicate rate: the same event again, as after a client timeout that hid a 2xx. */
    private void maybeResend(Pending event) throws InterruptedException {
        if (ThreadLocalRandom.current().nextDouble() < settings.duplicateRate()) {
            truth.duplicateSends.incrementAndGet();
            deliver(event.source(), "/v1/track", event.body());
        }
    }

    /** Sends until a 2xx (its body) or until the drain time is over (empty); the same body every time. */
    private Optional<JsonNode> deliver(Source source, String path, ObjectNode body) throws InterruptedException {
        String auth = "Basic " + Base64.getEncoder().encodeToString((source.writeKey() + ":").getBytes(StandardCharsets.UTF_8));
        Duration backoff = MIN_BACKOFF;
        int first = ThreadLocalRandom.current().nextInt(ingests.size());
        for (int attempt = 0; ; attempt++) {
            URI ingest = ingests.get((first + attempt) % ingests.size());
            if (attempt > 0) {
                truth.retries.incrementAndGet();
            }
            Duration wait = backoff;
            try {
                refreshSentAt(body);
                byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
                truth.requests.incrementAndGet();
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(ingest.resolve(path))
                        .timeout(settings.requestTimeout())
                        .header("Authorization", auth)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status / 100 == 2) {
                    return Optional.of(JSON.readTree(response.body()));
                }
                if ((status == 404 || status == 405) && path.equals("/v1/batch")) {
                    batchSupported = false;
                    return Optional.empty();
                }
                if (status == 429) {
                    truth.status429.incrementAndGet();
                } else if (status / 100 == 5) {
                    truth.status5xx.incrementAndGet();
                } else {
                    // Any other 4xx means the suite sent something wrong: retrying cannot help.
                    truth.refused.incrementAndGet();
                    Log.info("ingest refused a valid event with " + status + ": " + response.body());
                    return Optional.empty();
                }
                Optional<String> retryAfter = response.headers().firstValue("Retry-After");
                if (retryAfter.isPresent() && retryAfter.get().matches("[0-9]{1,4}")) {
                    wait = Duration.ofSeconds(Long.parseLong(retryAfter.get()));
                }
            } catch (HttpTimeoutException e) {
                truth.timeouts.incrementAndGet();
            } catch (IOException e) {
                // Connection refused or reset: the process is down or restarting.
            }
            if (Instant.now().plus(wait).isAfter(drainDeadline)) {
                return Optional.empty();
            }
            long jitter = ThreadLocalRandom.current().nextLong(Math.max(1, wait.toMillis() / 2) + 1);
            Thread.sleep(Math.min(wait.toMillis(), settings.maxBackoff().toMillis()) + jitter);
            backoff = backoff.multipliedBy(2).compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : backoff.multipliedBy(2);
        }
    }

    /**
     * Each attempt carries its own send time, as the SDKs stamp sentAt when a request leaves: a
     * stale sentAt would make ingest's skew correction move a retried event by the retry delay.
     */
    private static void refreshSentAt(ObjectNode body) {
        String now = Instant.now().truncatedTo(ChronoUnit.MILLIS).toString();
        if (body.has("sentAt")) {
            body.put("sentAt", now);
        }
        for (JsonNode event : body.path("batch")) {
            if (event.has("sentAt")) {
                ((ObjectNode) event).put("sentAt", now);
            }
        }
    }

    private Pending newEvent() {
        return newEvent(sources.get(ThreadLocalRandom.current().nextInt(sources.size())));
    }

    private Pending newEvent(Source source) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        Instant now = Instant.now();
        // Most events are minutes old; a third are late by up to maxLateDays (an app offline for weeks).
        Instant eventTime = random.nextDouble() < 0.34
                ? now.minus(random.nextLong(Duration.ofDays(settings.maxLateDays()).minusHours(1).toSeconds()), ChronoUnit.SECONDS)
                : now.minus(random.nextLong(600), ChronoUnit.SECONDS);
        eventTime = awayFromMidnight(eventTime.truncatedTo(ChronoUnit.MILLIS));
        String messageId = tag + "-" + UUID.randomUUID();
        ObjectNode body = JSON.createObjectNode();
        body.put("messageId", messageId);
        body.put("userId", "user-" + random.nextInt(500));
        body.put("event", EVENTS[random.nextInt(EVENTS.length)]);
        body.putObject("properties").put("amount", random.nextInt(10_000)).put("currency", "EUR");
        body.putObject("context").putObject("library").put("name", "tidemark-faults").put("version", "1");
        if (random.nextBoolean()) {
            body.put("timestamp", eventTime.toString());
        } else {
            // The SDK way: the device's clock and the send time; ingest corrects the skew between them.
            body.put("originalTimestamp", eventTime.toString());
            body.put("sentAt", Instant.now().truncatedTo(ChronoUnit.MILLIS).toString());
        }
        return new Pending(messageId, source, new GroundTruth.Expected(source.id(), EventIndexLayout.eventDay(eventTime)), body);
    }

    /**
     * Skew correction moves an event by the request's transit time, so an event a few milliseconds
     * before midnight could honestly land on the next day; the suite keeps its events clear of that.
     */
    private static Instant awayFromMidnight(Instant time) {
        long secondOfDay = time.getEpochSecond() % 86_400;
        if (secondOfDay < 120) {
            return time.plusSeconds(180);
        }
        if (secondOfDay > 86_400 - 120) {
            return time.minusSeconds(180);
        }
        return time;
    }
}
