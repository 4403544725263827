package io.tidemark.bulk.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.tidemark.bulk.config.JobConfig;
import io.tidemark.bulk.config.JobConfigReader;
import io.tidemark.bulk.mapping.EventMapper;
import io.tidemark.bulk.sink.IngestImportClient;
import io.tidemark.bulk.sink.IngestUnavailableException;
import io.tidemark.bulk.source.RowSource;
import io.tidemark.bulk.source.SourceRow;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A window through a stand-in for ingest's bulk import that answers as ingest does: chunks, per-line refusals, 503. */
class WindowLoaderTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant FROM = Instant.parse("2026-11-01T00:00:00Z");
    private static final Instant TO = Instant.parse("2026-11-02T00:00:00Z");

    private final List<List<JsonNode>> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger unavailableAnswers = new AtomicInteger();
    /** Answers 429, as ingest does while other imports hold its slots. */
    private final AtomicInteger busyAnswers = new AtomicInteger();
    private final AtomicInteger busyAnswered = new AtomicInteger();
    private final AtomicInteger concurrentRequests = new AtomicInteger();
    private final AtomicInteger mostConcurrentRequests = new AtomicInteger();
    private final AtomicLong rowsRead = new AtomicLong();
    private final AtomicLong rowsAnswered = new AtomicLong();
    private final AtomicLong mostRowsUnanswered = new AtomicLong();
    private volatile long answerDelayMillis;
    private volatile boolean writeKeyRefused;
    /** The Retry-After of a 503. */
    private volatile String retryAfter = "0";
    /** The stand-in source fails after this many rows (0: never), as a dropped database connection would. */
    private volatile int sourceFailsAfterRows;
    private HttpServer ingest;
    private JobConfig config;

    @BeforeEach
    void startIngest() throws IOException {
        ingest = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        ingest.createContext("/bulk/v1/import", this::answer);
        // Several handler threads, as ingest answers several imports at once.
        ingest.setExecutor(Executors.newFixedThreadPool(4));
        ingest.start();
        JobConfig orders = JobConfigReader.read(Path.of("src/test/resources/jobs/orders.yaml"));
        config = new JobConfig(orders.job(), orders.source(), orders.mapping(), new JobConfig.Ingest(
                "http://127.0.0.1:" + ingest.getAddress().getPort(), null, 4, null, 3, null, null, null), orders.window(),
                orders.watermark());
    }

    @AfterEach
    void stopIngest() {
        ingest.stop(0);
    }

    /** Refuses lines whose userId is "refused" (field userId), as ingest's validator would. */
    private void answer(HttpExchange exchange) throws IOException {
        mostConcurrentRequests.accumulateAndGet(concurrentRequests.incrementAndGet(), Math::max);
        try {
            answerNow(exchange);
        } finally {
            concurrentRequests.decrementAndGet();
        }
    }

    private void answerNow(HttpExchange exchange) throws IOException {
        mostRowsUnanswered.accumulateAndGet(rowsRead.get() - rowsAnswered.get(), Math::max);
        if (answerDelayMillis > 0) {
            try {
                Thread.sleep(answerDelayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (writeKeyRefused) {
            exchange.sendResponseHeaders(401, -1);
            exchange.close();
            return;
        }
        if (busyAnswers.getAndDecrement() > 0) {
            busyAnswered.incrementAndGet();
            exchange.getResponseHeaders().add("Retry-After", "0");
            exchange.sendResponseHeaders(429, -1);
            exchange.close();
            return;
        }
        if (unavailableAnswers.getAndDecrement() > 0) {
            exchange.getResponseHeaders().add("Retry-After", retryAfter);
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
            return;
        }
        List<JsonNode> lines = new ArrayList<>();
        for (String line : new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
            lines.add(JSON.readTree(line));
        }
        requests.add(lines);
        ObjectNode body = JSON.createObjectNode().put("success", true).put("lines", lines.size());
        ArrayNode rejected = JSON.createArrayNode();
        for (int i = 0; i < lines.size(); i++) {
            if ("refused".equals(lines.get(i).path("userId").asText())) {
                rejected.addObject().put("line", i + 1).put("field", "userId").put("reason", "not welcome");
            }
        }
        body.put("accepted", lines.size() - rejected.size()).put("rejectedCount", rejected.size()).set("rejected", rejected);
        byte[] bytes = JSON.writeValueAsBytes(body);
        rowsAnswered.addAndGet(lines.size());
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    private RowSource rows(int count) {
        return new RowSource() {
            @Override
            public long read(Instant from, Instant to, RowHandler handler) throws Exception {
                for (int i = 1; i <= count; i++) {
                    if (sourceFailsAfterRows > 0 && i == sourceFailsAfterRows + 1) {
                        throw new SQLException("An I/O error occurred while sending to the backend.");
                    }
                    Map<String, Object> values = new LinkedHashMap<>();
                    values.put("id", (long) i);
                    values.put("customer_id", i == 3 ? null : i == 6 ? "refused" : "c-" + i);
                    values.put("anon_id", null);
                    values.put("created_at", from.plusSeconds(i));
                    values.put("updated_at", from.plusSeconds(i));
                    values.put("client_ip", "10.0.0." + (i % 256));
                    rowsRead.incrementAndGet();
                    if (!handler.accept(SourceRow.of(i, values))) {
                        return i;
                    }
                }
                return count;
            }

            @Override
            public void close() {
            }
        };
    }

    private LoadReport load(int count, IngestImportClient sink, int sample) throws Exception {
        LoadReport report = new LoadReport("orders");
        WindowLoader loader = new WindowLoader(config.ingest(), new EventMapper(config), rows(count), sink, line -> { },
                report, 0, sample);
        loader.load(FROM, TO);
        return report;
    }

    @Test
    void rowsGoInBoundedChunksAndRefusalsAreReportedByKey() throws Exception {
        LoadReport report = load(10, new IngestImportClient(config.ingest(), "key", line -> { }), 0);
        // Batches of 4 rows read are mapped in parallel: row 3 cannot be an event, so its batch sends 3.
        assertEquals(9, requests.stream().mapToInt(List::size).sum(), "every mappable row sent once");
        assertTrue(requests.stream().allMatch(chunk -> chunk.size() <= 4), "chunks of at most 4 rows: " + requests);
        assertEquals(9, requests.stream().flatMap(List::stream).map(e -> e.get("messageId").asText()).distinct().count());
        JsonNode summary = report.toJson();
        assertEquals(10, summary.get("rowsRead").asLong());
        assertEquals(8, summary.get("accepted").asLong());
        assertEquals(2, summary.get("refused").asLong());
        assertEquals("partial", summary.get("status").asText());
        assertEquals("3", summary.at("/refusedKeys/0/key").asText());
        assertEquals("mapping", summary.at("/refusedKeys/0/stage").asText());
        assertEquals("userId", summary.at("/refusedKeys/0/field").asText());
        assertEquals("6", summary.at("/refusedKeys/1/key").asText());
        assertEquals("ingest", summary.at("/refusedKeys/1/stage").asText());
        assertFalse(summary.get("refusedKeysCapped").asBoolean());
    }

    @Test
    void chunksAreSentConcurrentlyButTheCursorNeverRunsFarAhead() throws Exception {
        answerDelayMillis = 20;
        LoadReport report = load(400, new IngestImportClient(config.ingest(), "key", line -> { }), 0);
        assertEquals(398, report.accepted(), "all but row 3 (no user) and row 6 (refused by ingest)");
        assertEquals(399, requests.stream().flatMap(List::stream).map(e -> e.get("messageId").asText()).distinct().count());
        assertEquals(2, mostConcurrentRequests.get(), "in-flight-chunks (2) requests at once, never more");
        // Rows read and not yet answered: the chunks being sent and the one being written, the few batches
        // read ahead of the mapping; and row 3, which is never sent and so never answered.
        long bound = (long) (config.ingest().inFlightChunks() + 1) * config.ingest().chunkRows() + 1
                + ReadAhead.mostRowsAhead(config.ingest().chunkRows());
        assertTrue(mostRowsUnanswered.get() <= bound, mostRowsUnanswered.get() + " rows read ahead of ingest's answers");
    }

    @Test
    void aSourceFailingMidWindowFailsTheWindowWithItsError() {
        sourceFailsAfterRows = 10;
        SQLException e = assertThrows(SQLException.class,
                () -> load(400, new IngestImportClient(config.ingest(), "key", line -> { }), 0));
        assertTrue(e.getMessage().contains("I/O error"), e.getMessage());
    }

    @Test
    void aFailedChunkStopsTheReadingBeforeTheWindowFails() {
        writeKeyRefused = true;
        assertThrows(IngestUnavailableException.class,
                () -> load(4000, new IngestImportClient(config.ingest(), "key", line -> { }), 0));
        long bound = (long) (config.ingest().inFlightChunks() + 1) * config.ingest().chunkRows() + 1
                + ReadAhead.mostRowsAhead(config.ingest().chunkRows());
        assertTrue(rowsRead.get() <= bound, rowsRead.get() + " of 4000 rows read after the first chunk failed");
    }

    @Test
    void aChunkIngestCannotTakeNowIsSentAgain() throws Exception {
        unavailableAnswers.set(1);
        LoadReport report = load(2, new IngestImportClient(config.ingest(), "key", line -> { }), 0);
        assertEquals(1, requests.size());
        assertEquals(2, report.accepted());
        assertEquals(LoadReport.Status.SUCCESS, report.status());
    }

    @Test
    void aChunkWaitsItsTurnWhileIngestIsBusyWithoutSpendingItsAttempts() throws Exception {
        busyAnswers.set(4);
        LoadReport report = load(2, new IngestImportClient(config.ingest(), "key", line -> { }), 0);
        assertEquals(4, busyAnswered.get(), "more 429s than the job's 3 attempts");
        assertEquals(1, requests.size());
        assertEquals(2, report.accepted());
        assertEquals(LoadReport.Status.SUCCESS, report.status());
    }

    @Test
    void aRunFailsOnceIngestStayedBusyLongerThanTheBusyWait() {
        busyAnswers.set(Integer.MAX_VALUE);
        JobConfig.Ingest ingest = config.ingest();
        JobConfig.Ingest shortWait = new JobConfig.Ingest(ingest.url(), null, ingest.chunkRows(), null, ingest.maxAttempts(),
                null, null, Duration.ofSeconds(2));
        IngestUnavailableException e = assertThrows(IngestUnavailableException.class,
                () -> load(2, new IngestImportClient(shortWait, "key", line -> { }), 0));
        assertTrue(e.getMessage().contains("ingest.busy-wait (PT2S)"), e.getMessage());
        assertTrue(busyAnswered.get() >= 2 && busyAnswered.get() <= 3, busyAnswered.get() + " answers in 2 s, a second apart");
        assertTrue(requests.isEmpty());
    }

    @Test
    void aRetryAfterGivenAsAnHttpDateByAProxyIsWaitedForNotThrownOn() throws Exception {
        unavailableAnswers.set(2);
        retryAfter = "Sun, 06 Dec 2026 00:00:00 GMT";
        LoadReport report = load(2, new IngestImportClient(config.ingest(), "key", line -> { }), 0);
        assertEquals(1, requests.size());
        assertEquals(2, report.accepted());
        assertEquals(LoadReport.Status.SUCCESS, report.status());
    }

        @Test
    void aDryRunSendsNothingAndKeepsTheFirstEvents() throws Exception {
        LoadReport report = load(10, null, 2);
        assertTrue(requests.isEmpty());
        JsonNode summary = report.toJson();
        assertEquals(2, summary.get("sample").size());
        assertEquals("c-1", summary.at("/sample/0/userId").asText());
        assertEquals(2, summary.get("rowsRead").asLong(), "reading stops once the sample is full");
    }
}
