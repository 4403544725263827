package io.tidemark.faults;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.faults.FuzzCase.Expect;
import io.tidemark.faults.SlowClients.Outcome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
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
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import io.tidemark.testsupport.PrivateStack;
import io.tidemark.testsupport.ServiceProcess;
import org.awaitility.core.ConditionTimeoutException;
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
 * event it acknowledged is stored exactly once by the real dedup-service. Beside that load, slow
 * clients hold connections (idle, dripping headers, dripping a body) and are cut within ingest's
 * bounds; then more connections than ingest's cap are opened, and good requests succeed once they close.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IngestFuzzIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int HOSTILE_REQUESTS = Integer.getInteger("tidemark.fuzz.requests", 10_000);
    private static final int VALID_EVERY = 6;
    private static final int HEALTH_EVERY = 250;
    /**
     * Ingest's container memory limit (deploy/k8s/base/ingest-service.yaml, 384Mi): with its shipped JVM
     * options (a 104 MB heap) no hostile request may take the process past what Kubernetes allows it.
     */
    private static final long RSS_LIMIT_MB = Long.getLong("tidemark.fuzz.rss.limit.mb", 384);
    /*
     * Ingest's connection limits for this run, far shorter and smaller than shipped (idle 75 s, read deadline
     * 60 s, 1000 connections) so that slow clients are cut and the cap is reached within the test: the
     * mechanisms are the same, only the figures differ.
     */
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(6);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(3);
    private static final int MAX_CONNECTIONS = 300;
    /** How much later than its bound a cut may come on two busy cores; and how much earlier (timer granularity). */
    private static final Duration CUT_LATE = Duration.ofSeconds(4);
    private static final Duration CUT_EARLY = Duration.ofSeconds(1);
    /** Slow clients per round, well under the cap beside the fuzz's own connections. */
    private static final int IDLE_CLIENTS = 200;
    private static final int HEADER_DRIPS = 10;
    private static final int BODY_DRIPS = 5;
    /** Connections opened beyond the cap in the last phase. */
    private static final int OVER_CAP = 50;
    /**
     * Near-maximal bodies held whole but for their last byte: 250 x 500 KB is more than ingest's 104 MB
     * heap if every one were buffered, and under its connection cap of this run.
     */
    private static final int HELD_BODIES = 250;
    private static final int HELD_BODY_BYTES = 500_000;
    /** Ingest's budget of buffered bodies (tidemark.ingest.max-buffered-request-bytes, shipped default). */
    private static final long BODY_BUDGET_BYTES = 16L << 20;

    private static Source source;
    private static PrivateStack stack;
    private static Pipeline pipeline;
    private static final Map<String, LocalDate> acknowledged = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> statuses = new TreeMap<>();
    private static final List<String> codecOnly = new ArrayList<>();
    /** Ingest's largest RSS and whether it ever stopped, sampled every half second for the whole class. */
    private static final AtomicLong maxRssKb = new AtomicLong();
    private static final AtomicBoolean ingestExited = new AtomicBoolean();
    private static ScheduledExecutorService sampler;

    @BeforeAll
    static void startServices() throws Exception {
        FaultSettings settings = FaultSettings.of(true);
        stack = SharedPrivateStack.get(settings);
        String id = "fz" + Long.toString(Instant.now().getEpochSecond(), 36);
        source = new Source(id, id + "-write-key");
        pipeline = Pipeline.of(SharedPrivateStack.root(), stack, List.of(source), settings,
                List.of(Pipeline.INGEST, Pipeline.DEDUP, Pipeline.MART),
                Map.of(Pipeline.INGEST, List.of(
                        "quarkus.http.idle-timeout=" + IDLE_TIMEOUT.toSeconds() + "S",
                        "tidemark.ingest.request-read-timeout=" + READ_TIMEOUT,
                        "quarkus.http.limits.max-connections=" + MAX_CONNECTIONS)));
        pipeline.startAll();
        ServiceProcess ingest = pipeline.service(Pipeline.INGEST);
        sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleAtFixedRate(() -> {
            maxRssKb.accumulateAndGet(ingest.rssKb(), Math::max);
            if (!ingest.isAlive()) {
                ingestExited.set(true);
            }
        }, 0, 500, TimeUnit.MILLISECONDS);
    }

    @AfterAll
    static void stopServices() {
        if (sampler != null) {
            sampler.shutdownNow();
        }
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
        AtomicLong seeds = new AtomicLong(20_260_101L);

        // Slow clients beside the fuzz, round after round until it ends: good events flow while they hold connections.
        SlowClients slow = new SlowClients(port, requests.auth().get("Authorization"));
        AtomicBoolean fuzzing = new AtomicBoolean(true);
        ExecutorService slowRounds = Executors.newFixedThreadPool(3);
        Future<List<Outcome>> idle = slowRounds.submit(whileFuzzing(fuzzing,
                () -> slow.idle(IDLE_CLIENTS, IDLE_TIMEOUT.plus(CUT_LATE).plus(CUT_LATE))));
        Future<List<Outcome>> headerDrips = slowRounds.submit(whileFuzzing(fuzzing,
                () -> slow.headerDrip(HEADER_DRIPS, IDLE_TIMEOUT.plus(CUT_LATE).plus(CUT_LATE))));
        Future<List<Outcome>> bodyDrips = slowRounds.submit(whileFuzzing(fuzzing,
                () -> slow.bodyDrip(BODY_DRIPS, READ_TIMEOUT.plus(CUT_LATE).plus(CUT_LATE))));
        slowRounds.shutdown();

        // QuickTheories skips an example equal to one it already tried, so one run may send fewer than asked:
        // runs with further seeds send the rest, and the count below is exactly what was sent.
        long seed = 20_261_130L;
        try {
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
        } finally {
            // Also when the fuzz fails: the rounds end, and their threads with them.
            fuzzing.set(false);
        }
        List<Outcome> idleOutcomes = idle.get(2, TimeUnit.MINUTES);
        List<Outcome> headerOutcomes = headerDrips.get(2, TimeUnit.MINUTES);
        List<Outcome> bodyOutcomes = bodyDrips.get(2, TimeUnit.MINUTES);

        System.out.println("fuzz: " + sent.get() + " hostile requests, " + acknowledged.size()
                + " valid events acknowledged; statuses " + statuses + "; ingest max RSS " + maxRssKb.get() / 1024 + " MB");
        if (!codecOnly.isEmpty()) {
            System.out.println("fuzz: answered by the HTTP codec without a problem body: " + codecOnly.size()
                    + ", e.g. " + codecOnly.get(0));
        }
        assertEquals(HOSTILE_REQUESTS, sent.get(), "hostile requests sent");
        System.out.println("fuzz: slow clients beside it: " + summary(idleOutcomes) + "; " + summary(headerOutcomes)
                + "; " + summary(bodyOutcomes) + " (idle timeout " + IDLE_TIMEOUT.toSeconds() + " s, read deadline "
                + READ_TIMEOUT.toSeconds() + " s)");
        assertTrue(ingest.ready(), "ingest is not ready after the fuzz run");
        assertAliveWithinMemory(ingest);
        // Vert.x's idle check sits behind its HTTP decoder: a head that never ends is idle however fast it drips.
        assertCut(idleOutcomes, IDLE_TIMEOUT, IngestFuzzIT::unanswered, "closed without an answer");
        assertCut(headerOutcomes, IDLE_TIMEOUT, IngestFuzzIT::unanswered, "closed without an answer");
        // Unanswered too, so that analytics-java and analytics-kotlin send the batch again instead of dropping it on a 408.
        assertCut(bodyOutcomes, READ_TIMEOUT, IngestFuzzIT::unanswered, "closed without an answer");
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

    @Test
    @Order(2)
    void heldBodiesBeyondTheBufferBudgetAre503AndGoodRequestsStillFitBesideThem() throws Exception {
        ServiceProcess ingest = pipeline.service(Pipeline.INGEST);
        int port = ingest.uri("").getPort();
        HostileRequests requests = new HostileRequests(source);
        SlowClients slow = new SlowClients(port, requests.auth().get("Authorization"));
        ExecutorService holder = Executors.newSingleThreadExecutor();
        Future<List<Outcome>> held = holder.submit(() -> slow.heldBodies(HELD_BODIES, HELD_BODY_BYTES,
                READ_TIMEOUT.plus(CUT_LATE).plus(CUT_LATE)));
        holder.shutdown();
        // While the budget is full of held bodies: a small call still fits beside them.
        Thread.sleep(1500);
        FuzzCase whileHeld = requests.validCase(new SplittableRandom(20_261_301L));
        check(port, whileHeld);
        List<Outcome> outcomes = held.get(2, TimeUnit.MINUTES);
        System.out.println("held bodies: " + summary(outcomes) + " (budget " + (BODY_BUDGET_BYTES >> 20) + " MB, read deadline "
                + READ_TIMEOUT.toSeconds() + " s); ingest max RSS " + maxRssKb.get() / 1024 + " MB");
        long budgeted = outcomes.stream().filter(IngestFuzzIT::unanswered).count();
        long refused = outcomes.stream().filter(IngestFuzzIT::isBusyProblem).count();
        assertEquals(HELD_BODIES, budgeted + refused, "every held body is either read until its deadline or refused 503: "
                + outcomes.stream().filter(o -> !unanswered(o) && !isBusyProblem(o)).limit(3).toList());
        assertTrue(budgeted * HELD_BODY_BYTES <= BODY_BUDGET_BYTES, budgeted + " bodies of " + HELD_BODY_BYTES
                + " bytes buffered at once, over the budget of " + BODY_BUDGET_BYTES);
        assertTrue(budgeted > 0 && refused > 0, budgeted + " read, " + refused + " refused");
        assertTrue(ingest.ready(), "ingest is not ready after the held bodies");
        assertAliveWithinMemory(ingest);
        Map<String, List<StoredIndex.StoredRow>> stored = awaitStored(Set.copyOf(whileHeld.messageIds()));
        assertTrue(whileHeld.messageIds().stream().allMatch(id -> stored.getOrDefault(id, List.of()).size() == 1),
                "the call sent beside the held bodies is stored once: " + stored);
    }

    /** Refused before its body was read: 503 with Retry-After and a problem naming the body. */
    private static boolean isBusyProblem(Outcome outcome) {
        if (outcome.status() != 503 || outcome.header("Retry-After").isEmpty()) {
            return false;
        }
        try {
            return "body".equals(JSON.readTree(outcome.body()).path("field").asText());
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    @Order(3)
    void connectionsBeyondTheCapAreRefusedAndGoodRequestsSucceedOnceTheyClose() throws Exception {
        ServiceProcess ingest = pipeline.service(Pipeline.INGEST);
        int port = ingest.uri("").getPort();
        HostileRequests requests = new HostileRequests(source);
        // An unfinished request head, as a slow client holds it: counted toward the cap like any connection.
        byte[] head = ("POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n").getBytes(StandardCharsets.US_ASCII);
        FuzzCase whileFull = requests.validCase(new SplittableRandom(20_261_201L));
        List<Socket> held = new ArrayList<>();
        int open = 0;
        int refused = 0;
        RawHttp.Response answerWhileFull;
        try {
            for (int i = 0; i < MAX_CONNECTIONS + OVER_CAP; i++) {
                Socket socket = new Socket();
                held.add(socket);
                socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                try {
                    socket.getOutputStream().write(head);
                } catch (IOException refusedAlready) {
                    // counted below
                }
            }
            // The server closes a connection over the cap on its event loop, a moment after accepting it.
            Thread.sleep(500);
            for (Socket socket : held) {
                if (isOpen(socket)) {
                    open++;
                } else {
                    refused++;
                }
            }
            answerWhileFull = exchange(port, whileFull.method(), whileFull.path(), whileFull.headers(), whileFull.body());
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
        System.out.println("cap: " + held.size() + " connections opened against a cap of " + MAX_CONNECTIONS + ": "
                + open + " held, " + refused + " closed at once; a good request while full got " + answerWhileFull.status()
                + "; ingest max RSS " + maxRssKb.get() / 1024 + " MB");
        assertTrue(open <= MAX_CONNECTIONS, open + " connections held open under a cap of " + MAX_CONNECTIONS);
        assertTrue(refused >= OVER_CAP, "only " + refused + " of " + held.size() + " connections refused");
        assertEquals(-1, answerWhileFull.status(), "a request while the cap was reached: " + answerWhileFull.text());

        // Released: the refused call is sent again as an SDK retries it (same messageIds), then new ones.
        RawHttp.Response retried = await("ingest answers the retried call once the connections are released")
                .atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(200))
                .until(() -> exchange(port, whileFull.method(), whileFull.path(), whileFull.headers(), whileFull.body()),
                        response -> response.status() != -1);
        assertTrue(retried.status() / 100 == 2, "the retried request after the release got " + retried.status() + " " + retried.text());
        record(whileFull);
        Set<String> ids = new HashSet<>(whileFull.messageIds());
        for (int i = 0; i < 20; i++) {
            FuzzCase after = requests.validCase(new SplittableRandom(20_261_202L + i));
            check(port, after);
            ids.addAll(after.messageIds());
        }
        assertTrue(ingest.ready(), "ingest is not ready after the cap was reached");
        assertAliveWithinMemory(ingest);

        Map<String, List<StoredIndex.StoredRow>> stored = awaitStored(ids);
        List<String> notOnce = ids.stream().filter(id -> stored.getOrDefault(id, List.of()).size() != 1)
                .map(id -> id + " stored " + stored.getOrDefault(id, List.of()).size() + " times").toList();
        assertEquals(List.of(), notOnce, "events sent beside the cap phase");
    }

    /** Runs {@code round} once, then again while the fuzz runs; everything the rounds returned. */
    private static Callable<List<Outcome>> whileFuzzing(AtomicBoolean fuzzing, Callable<List<Outcome>> round) {
        return () -> {
            List<Outcome> all = new ArrayList<>();
            do {
                all.addAll(round.call());
            } while (fuzzing.get());
            return all;
        };
    }

    /** Every connection was closed by ingest within its bound (not long before it either), with the answer expected. */
    private static void assertCut(List<Outcome> outcomes, Duration bound, java.util.function.Predicate<Outcome> answer,
            String expected) {
        assertTrue(!outcomes.isEmpty(), "no slow client ran");
        for (Outcome outcome : outcomes) {
            assertTrue(outcome.closedAfter() != null, "not cut within " + bound.plus(CUT_LATE) + ": " + outcome);
            assertTrue(outcome.closedAfter().compareTo(bound.plus(CUT_LATE)) <= 0, "cut too late (bound " + bound + "): " + outcome);
            assertTrue(outcome.closedAfter().compareTo(bound.minus(CUT_EARLY)) >= 0, "cut before its bound " + bound
                    + ", so by something else: " + outcome);
            assertTrue(answer.test(outcome), "expected " + expected + ": " + outcome);
        }
    }

    /** Closed by ingest without an answer: a slow body at its read deadline. */
    private static boolean unanswered(Outcome outcome) {
        return outcome.closedAfter() != null && outcome.received().length == 0;
    }

    private static String summary(List<Outcome> outcomes) {
        Map<Integer, Integer> byStatus = new TreeMap<>();
        outcomes.forEach(o -> byStatus.merge(o.status(), 1, Integer::sum));
        String range = outcomes.stream().filter(o -> o.closedAfter() != null).mapToLong(o -> o.closedAfter().toMillis())
                .summaryStatistics().toString().replaceAll(".*min=(\\d+).*max=(\\d+).*", "$1-$2 ms");
        return outcomes.size() + " " + (outcomes.isEmpty() ? "" : outcomes.get(0).kind()) + " cut after " + range
                + ", answers " + byStatus.toString().replace("-1=", "none=");
    }

    private static void assertAliveWithinMemory(ServiceProcess ingest) {
        assertTrue(ingest.isAlive() && !ingestExited.get(), "ingest exited");
        assertTrue(maxRssKb.get() / 1024 < RSS_LIMIT_MB, "ingest RSS grew to " + maxRssKb.get() / 1024 + " MB");
    }

    /** Whether the server still holds the connection: no EOF, no reset, just quiet. */
    private static boolean isOpen(Socket socket) throws IOException {
        socket.setSoTimeout(1);
        try {
            return socket.getInputStream().read() >= 0;
        } catch (SocketTimeoutException quiet) {
            return true;
        } catch (IOException reset) {
            return false;
        }
    }

    /** Up to {@code examples} hostile requests generated from {@code seed}, each checked by {@code check}. */
    private static void fuzz(HostileRequests requests, long seed, int examples,
            java.util.function.Consumer<FuzzCase> check) {
        qt().withFixedSeed(seed).withExamples(examples).withShrinkCycles(50).forAll(requests.hostile())
                .checkAssert(check);
    }

    @Test
    @Order(4)
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
    private static Map<String, List<StoredIndex.StoredRow>> awaitStored(Set<String> ids) {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        AtomicReference<Map<String, List<StoredIndex.StoredRow>>> stored = new AtomicReference<>(Map.of());
        try {
            await("dedup consumed the raw topic and stored every accepted messageId").atMost(Duration.ofMinutes(3))
                    .pollDelay(Duration.ZERO).pollInterval(Duration.ofSeconds(2)).until(() -> {
                        long lag = ConsumerLag.rawTopicLag(stack.kafkaBootstrap());
                        stored.set(StoredIndex.byMessageId(StoredIndex.read(stack.cassandraContact(), List.of(source.id()),
                                today.minusDays(12), today.plusDays(1))));
                        return lag == 0 && stored.get().keySet().containsAll(ids);
                    });
        } catch (ConditionTimeoutException e) {
            // The caller's assertions name what is missing; they read what was stored by then.
        }
        return stored.get();
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
