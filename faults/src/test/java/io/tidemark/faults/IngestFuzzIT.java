package io.tidemark.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.faults.FuzzCase.Expect;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Property-based fuzzing of the packaged ingest-service (and mart's query parameters) on the
 * private stack: hostile requests interleaved with valid events. Every bad request gets a 4xx with
 * a problem body, nothing gets a 5xx, ingest stays ready with bounded memory, and every valid
 * event it acknowledged is stored exactly once by the real dedup-service.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IngestFuzzIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int HOSTILE_REQUESTS = Integer.getInteger("tidemark.fuzz.requests", 10_000);
    private static final int VALID_EVERY = 6;
    private static final int HEALTH_EVERY = 250;
    /**
     * Ingest's container memory limit (deploy/k8s/base/ingest-service.yaml, 384Mi): with its shipped JVM
     * options (a 128 MB heap) no hostile request may take the process past what Kubernetes allows it.
     */
    private static final long RSS_LIMIT_MB = Long.getLong("tidemark.fuzz.rss.limit.mb", 384);

    private static Source source;
    private static PrivateStack stack;
    private static Pipeline pipeline;
    private static final Map<String, LocalDate> acknowledged = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> statuses = new TreeMap<>();
    private static final List<String> codecOnly = new ArrayList<>();

    @BeforeAll
    static void startServices() throws Exception {
        FaultSettings settings = FaultSettings.of(true);
        stack = SharedPrivateStack.get(settings);
        String id = "fz" + Long.toString(Instant.now().getEpochSecond(), 36);
        source = new Source(id, id + "-write-key");
        pipeline = Pipeline.of(SharedPrivateStack.root(), stack, List.of(source), settings,
                List.of(Pipeline.INGEST, Pipeline.DEDUP, Pipeline.MART));
        pipeline.startAll();
    }

    @AfterAll
    static void stopServices() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    @Order(1)
    void hostileRequestsGetProblemsAndValidEventsAreStoredOnce() throws Exception {
        ServiceProcess ingest = pipeline.service(Pipeline.INGEST);
        int port = ingest.uri("").getPort();
        HostileRequests requests = new HostileRequests(source);
        AtomicLong sent = new AtomicLong();
        AtomicLong maxRssKb = new AtomicLong();
        AtomicLong seeds = new AtomicLong(20_260_101L);

        // QuickTheories skips an example equal to one it already tried, so one run may send fewer than asked:
        // runs with further seeds send the rest, and the count below is exactly what was sent.
        long seed = 20_261_130L;
        while (sent.get() < HOSTILE_REQUESTS) {
            fuzz(requests, seed++, (int) (HOSTILE_REQUESTS - sent.get()), hostile -> {
            long n = sent.incrementAndGet();
            check(port, hostile);
            if (n % VALID_EVERY == 0) {
                FuzzCase event = requests.validCase(new SplittableRandom(seeds.incrementAndGet()));
                check(port, event);
                if (n % (VALID_EVERY * 4) == 0) {
                    // A client retry of the same events: still one row each.
                    check(port, event);
                }
            }
            if (n % HEALTH_EVERY == 0) {
                assertTrue(ingest.ready(), "ingest not ready after " + n + " requests, the last: " + hostile);
                maxRssKb.accumulateAndGet(ingest.rssKb(), Math::max);
            }
            });
        }

        System.out.println("fuzz: " + sent.get() + " hostile requests, " + acknowledged.size()
                + " valid events acknowledged; statuses " + statuses + "; ingest max RSS " + maxRssKb.get() / 1024 + " MB");
        if (!codecOnly.isEmpty()) {
            System.out.println("fuzz: answered by the HTTP codec without a problem body: " + codecOnly.size()
                    + ", e.g. " + codecOnly.get(0));
        }
        assertEquals(HOSTILE_REQUESTS, sent.get(), "hostile requests sent");
        assertTrue(ingest.ready(), "ingest is not ready after the fuzz run");
        assertTrue(maxRssKb.get() / 1024 < RSS_LIMIT_MB, "ingest RSS grew to " + maxRssKb.get() / 1024 + " MB");
        assertTrue(acknowledged.size() > HOSTILE_REQUESTS / VALID_EVERY / 2, "too few valid events: " + acknowledged.size());

        Map<String, List<StoredIndex.StoredRow>> stored = awaitStored(acknowledged.keySet());
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, LocalDate> entry : acknowledged.entrySet()) {
            List<StoredIndex.StoredRow> rows = stored.getOrDefault(entry.getKey(), List.of());
            if (rows.size() != 1) {
                problems.add(entry.getKey() + " stored " + rows.size() + " times");
            } else if (entry.getValue() != null && !rows.get(0).day().equals(entry.getValue())) {
                problems.add(entry.getKey() + " stored on " + rows.get(0).day() + ", sent for " + entry.getValue());
            }
        }
        assertEquals(List.of(), problems.subList(0, Math.min(20, problems.size())),
                problems.size() + " of " + acknowledged.size() + " acknowledged valid events not stored exactly once");
    }

    /** Up to {@code examples} hostile requests generated from {@code seed}, each checked by {@code check}. */
    private static void fuzz(HostileRequests requests, long seed, int examples,
            java.util.function.Consumer<FuzzCase> check) {
        qt().withFixedSeed(seed).withExamples(examples).withShrinkCycles(50).forAll(requests.hostile())
                .checkAssert(check);
    }

    @Test
    @Order(2)
    void martParametersNeverCauseServerErrorsAndBadOnesGetProblems() throws Exception {
        ServiceProcess mart = pipeline.service(Pipeline.MART);
        int port = mart.uri("").getPort();
        // The fuzz source has stored events by now; export so that the source is known to the marts.
        RawHttp.Response export = RawHttp.exchange(port, "POST", "/api/v1/exports",
                Map.of("Authorization", "Bearer " + Pipeline.READ_TOKEN), new byte[0]);
        assertTrue(export.status() / 100 == 2 || export.status() == 404 || export.status() == 405,
                "export answered " + export.status() + " " + export.text());
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        String[] paths = {"/api/v1/metrics/daily", "/api/v1/metrics/top-events", "/api/v1/metrics/active-users"};
        Gen<String> dates = Generate.pick(List.of(today.toString(), today.minusDays(5).toString(), today.minusDays(400).toString(),
                today.plusDays(3).toString(), "2026-02-30", "yesterday", "", "2026-1-1", "9999-12-31", "0000-01-01",
                "2026-01-01T00:00:00Z", "%00", "'; DROP TABLE x; --", "\u00e9t\u00e9", "1".repeat(300)));
        Gen<String> sources = Generate.pick(List.of(source.id(), "unknown-src", "", "UPPER", "../etc", "a".repeat(65),
                "dev%20x", "%ff%fe", "s\u00f6urce"));
        Gen<String> tokens = Generate.pick(List.of(Pipeline.READ_TOKEN, Pipeline.READ_TOKEN, "", "wrong", "x".repeat(3000)));
        Gen<String> limits = Generate.pick(List.of("", "10", "0", "-1", "100000", "abc", "1e3"));
        AtomicLong sent = new AtomicLong();
        Gen<String[]> pathAndSource = Generate.pick(List.of(paths)).zip(sources, (p, src) -> new String[] {p, src});
        Gen<String[]> tokenAndLimit = tokens.zip(limits, (t, l) -> new String[] {t, l});
        qt().withExamples(Integer.getInteger("tidemark.fuzz.mart.requests", 1500)).withShrinkCycles(20)
                .forAll(pathAndSource, dates, dates, tokenAndLimit)
                .checkAssert((ps, from, to, tl) -> {
                    sent.incrementAndGet();
                    String path = ps[0];
                    String src = ps[1];
                    String token = tl[0];
                    String limit = tl[1];
                    String query = "source=" + enc(src) + (path.endsWith("active-users") ? "&date=" + enc(from)
                            : "&from=" + enc(from) + "&to=" + enc(to)) + (path.endsWith("top-events") && !limit.isEmpty() ? "&limit=" + enc(limit) : "");
                    Map<String, String> headers = token.isEmpty() ? Map.of() : Map.of("Authorization", "Bearer " + token);
                    RawHttp.Response response = exchange(port, "GET", path + "?" + query, headers, null);
                    String what = "GET " + path + "?" + query + " token '" + abbreviate(token) + "'";
                    count("mart " + response.status());
                    assertTrue(response.status() > 0 && response.status() < 500,
                            what + " answered " + response.status() + " " + abbreviate(response.text()));
                    if (response.status() >= 400) {
                        assertProblem(what, response);
                    }
                    if (!token.equals(Pipeline.READ_TOKEN)) {
                        assertEquals(401, response.status(), what + " without the right token");
                    }
                });
        System.out.println("mart fuzz: " + sent.get() + " requests; statuses " + statuses);
        assertTrue(mart.ready(), "mart is not ready after the fuzz run");
    }

    // ---- checking one request ----------------------------------------------------------------------

    private static void check(int port, FuzzCase request) {
        RawHttp.Response response = exchange(port, request.method(), request.path(), request.headers(), request.body());
        int status = response.status();
        count(request.kind() + " " + status);
        String what = request.describe();
        assertTrue(status > 0, "no answer at all to " + what);
        assertTrue(status < 500, "server error " + status + " " + abbreviate(response.text()) + " for " + what);
        switch (request.expect()) {
            case PROBLEM -> {
                assertTrue(status >= 400, "bad request accepted with " + status + ": " + what);
                assertProblem(what, response);
            }
            case TRANSPORT_4XX -> {
                assertTrue(status >= 400, "bad request accepted with " + status + ": " + what);
                if (!response.header("Content-Type").startsWith("application/problem+json")) {
                    synchronized (codecOnly) {
                        codecOnly.add(status + " for " + abbreviate(what));
                    }
                }
            }
            case ACCEPTED -> {
                assertTrue(status / 100 == 2, "valid request refused with " + status + " " + abbreviate(response.text()) + ": " + what);
                record(request);
            }
            case EITHER -> {
                if (status / 100 == 2) {
                    record(request);
                } else {
                    assertProblem(what, response);
                }
            }
            case PARTIAL_BATCH -> {
                assertTrue(status / 100 == 2, "a batch with one bad event was refused whole: " + status + " "
                        + abbreviate(response.text()) + ": " + what);
                Set<Integer> rejected = new HashSet<>();
                json(response).path("rejected").forEach(r -> rejected.add(r.path("index").asInt(-1)));
                assertEquals(request.rejectedIndexes(), rejected, "rejected indexes of " + what + ": " + response.text());
                record(request);
            }
            case PARTIAL_IMPORT -> {
                assertTrue(status / 100 == 2, "an import with bad lines was refused whole: " + status + " "
                        + abbreviate(response.text()) + ": " + what);
                Set<Integer> rejected = new HashSet<>();
                json(response).path("rejected").forEach(r -> rejected.add(r.path("line").asInt(-1)));
                assertEquals(request.rejectedIndexes(), rejected, "rejected lines of " + what + ": " + response.text());
                assertEquals(request.messageIds().size(), json(response).path("accepted").asInt(), what + ": " + response.text());
                record(request);
            }
        }
    }

    private static void record(FuzzCase request) {
        if (request.path().equals("/bulk/v1/import")) {
            recordImport(request);
            return;
        }
        JsonNode body = null;
        try {
            body = request.body() == null ? null : JSON.readTree(sentBytes(request));
        } catch (IOException e) {
            // A body we cannot read back (e.g. UTF-16): its day is not checked, only that it is stored once.
        }
        for (String id : request.messageIds()) {
            acknowledged.put(id, dayOf(body, id));
        }
    }

    /** A valid request's body as the service reads it: gunzipped when it was sent gzip. */
    private static byte[] sentBytes(FuzzCase request) throws IOException {
        return request.headers().containsKey("Content-Encoding")
                ? new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(request.body())).readAllBytes()
                : request.body();
    }

    /** Each good line of an import file, with the day of its event. */
    private static void recordImport(FuzzCase request) {
        Map<String, LocalDate> days = new HashMap<>();
        try {
            byte[] file = sentBytes(request);
            for (String line : new String(file, StandardCharsets.UTF_8).split("\n")) {
                try {
                    JsonNode event = JSON.readTree(line);
                    if (event != null && event.hasNonNull("messageId")) {
                        days.put(event.get("messageId").asText(), dayOf(event, event.get("messageId").asText()));
                    }
                } catch (IOException notJson) {
                    // a hostile line: not among the expected ids
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String id : request.messageIds()) {
            acknowledged.put(id, days.get(id));
        }
    }

    /** The UTC day of the event with this messageId in a request body, or null when unknown. */
    private static LocalDate dayOf(JsonNode body, String messageId) {
        if (body == null) {
            return null;
        }
        List<JsonNode> events = new ArrayList<>();
        if (body.has("batch")) {
            body.get("batch").forEach(events::add);
        } else {
            events.add(body);
        }
        for (JsonNode event : events) {
            if (messageId.equals(event.path("messageId").asText()) && event.hasNonNull("timestamp")) {
                return LocalDate.ofInstant(Instant.parse(event.get("timestamp").asText()), ZoneOffset.UTC);
            }
        }
        return null;
    }

    private static void assertProblem(String what, RawHttp.Response response) {
        assertTrue(response.header("Content-Type").startsWith("application/problem+json"),
                "a " + response.status() + " without a problem body (Content-Type '" + response.header("Content-Type")
                        + "', body " + abbreviate(response.text()) + ") for " + what);
        JsonNode problem = json(response);
        assertEquals(response.status(), problem.path("status").asInt(), "problem status of " + what + ": " + response.text());
        assertTrue(problem.hasNonNull("title"), "problem without a title for " + what + ": " + response.text());
    }

    private static JsonNode json(RawHttp.Response response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            fail("not JSON: " + abbreviate(response.text()));
            return null;
        }
    }

    private static RawHttp.Response exchange(int port, String method, String path, Map<String, String> headers, byte[] body) {
        try {
            return RawHttp.exchange(port, method, path, headers, body);
        } catch (IOException e) {
            throw new UncheckedIOException("no connection to the service: " + e.getMessage(), e);
        }
    }

    /** Waits until dedup has consumed everything, then reads the fuzz source's rows from Cassandra. */
    private static Map<String, List<StoredIndex.StoredRow>> awaitStored(Set<String> ids) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        Map<String, List<StoredIndex.StoredRow>> stored = Map.of();
        while (Instant.now().isBefore(deadline)) {
            long lag = ConsumerLag.rawTopicLag(stack.kafkaBootstrap());
            stored = StoredIndex.byMessageId(StoredIndex.read(stack.cassandraPort(), List.of(source.id()),
                    today.minusDays(12), today.plusDays(1)));
            if (lag == 0 && stored.keySet().containsAll(ids)) {
                return stored;
            }
            Thread.sleep(2000);
        }
        return stored;
    }

    private static synchronized void count(String key) {
        statuses.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    }

    private static String enc(String value) {
        // Some values are sent raw on purpose (percent signs), the rest encoded as a browser would.
        return value.startsWith("%") || value.contains("%2") ? value : URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String abbreviate(String text) {
        return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }
}
