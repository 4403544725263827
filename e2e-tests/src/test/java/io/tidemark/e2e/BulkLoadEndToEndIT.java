package io.tidemark.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.testsupport.PostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Orders in a real PostgreSQL loaded by the packaged bulk loader through ingest's bulk import, dedup
 * and mart: in daily windows, a run killed with SIGKILL halfway through a window and run again, an
 * overlapping window, and everything once more (from the watermark, then as one window). Every order
 * is counted exactly once on its own event day, with its columns as typed properties.
 */
class BulkLoadEndToEndIT {

    /**
     * The 200,000: 2.6 minutes for the class on the shared 2-core machine at load 3-8 (7.2 at load
     * 30); -Dtidemark.e2e.bulk-orders=50000 is a quicker run on a machine busier than that.
     */
    private static final int ORDERS = Integer.getInteger("tidemark.e2e.bulk-orders", 200_000);
    private static final int DAYS = 60;
    private static final Duration RUN_PATIENCE = Duration.ofSeconds(120);
    private static final Duration STORE_PATIENCE = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SENT = Pattern.compile("(\\d+) rows sent");

    private static PostgresServer postgres;
    private static SdkPipeline pipeline;
    private static Path jobsDir;
    private static Map<String, String> environment;
    private static String ordersJob;
    private static String signupsJob;

    @BeforeAll
    static void start() throws Exception {
        postgres = PostgresServer.start();
        pipeline = SdkPipeline.start("e2e-bulk", true);
        jobsDir = Files.createTempDirectory("tidemark-bulk-jobs-");
        // Watermarks outlive a test run in the shared Cassandra: a job name of this run's own.
        ordersJob = "orders-" + pipeline.source;
        signupsJob = "signups-" + pipeline.source;
        environment = Map.of("TIDEMARK_WRITE_KEY", pipeline.writeKey, "SHOP_DB_PASSWORD", PostgresServer.PASSWORD);
    }

    @AfterAll
    static void stop() throws Exception {
        if (pipeline != null) {
            pipeline.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void everyOrderIsCountedOnceOnItsEventDayAfterKilledOverlappingAndRepeatedLoads() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        LocalDate first = today.minusDays(DAYS - 1);
        LocalDate end = today.plusDays(1);
        Map<LocalDate, Long> truth = createOrders(first.atStartOfDay(ZoneOffset.UTC).toInstant(), now.minus(Duration.ofHours(1)));
        writeOrdersJob(first);

        JsonNode dry = loadOrders(0, "--dry-run", "--sample", "3", "--from", first.toString(), "--to", first.plusDays(1).toString());
        assertEquals(3, dry.get("sample").size(), dry.toString());
        assertTrue(dry.at("/sample/0/properties/total").isNumber(), dry.toString());

        JsonNode daily = loadOrders(0, "--from", first.toString(), "--to", first.plusDays(10).toString(), "--step", "P1D");
        assertEquals(10, daily.get("windows").asInt());
        assertEquals(rowsUpdatedIn(first, first.plusDays(10)), daily.get("accepted").asLong(), daily.toString());

        // A third of the way through a 30-day window, SIGKILL: some chunks are stored, the rest never sent.
        String[] killed = {"--from", first.plusDays(10).toString(), "--to", first.plusDays(40).toString()};
        long killedWindowRows = rowsUpdatedIn(first.plusDays(10), first.plusDays(40));
        // Paced so the kill lands mid-window within seconds: about a third of the window's rows take 10 s.
        BulkLoaderProcess run = BulkLoaderProcess.start(environment, args(killed, "--chunk-rows", "500",
                "--max-rows-per-second", Long.toString(Math.max(1500, killedWindowRows / 30))));
        await().atMost(RUN_PATIENCE).pollInterval(Duration.ofMillis(50)).until(() -> sent(run.progress()) >= killedWindowRows / 3);
        assertTrue(run.isAlive(), "the loader is still loading when it is killed");
        run.kill();
        assertTrue(sent(run.progress()) < killedWindowRows, run.progress());

        JsonNode again = loadOrders(0, killed);
        assertEquals(killedWindowRows, again.get("accepted").asLong(), again.toString());

        JsonNode overlapping = loadOrders(0, "--from", first.plusDays(35).toString(), "--to", end.toString());
        assertEquals(rowsUpdatedIn(first.plusDays(35), end), overlapping.get("accepted").asLong());

        // A third time: from the (new) watermark, in 10-day windows; then it has nothing left; then all as one window.
        JsonNode fromWatermark = loadOrders(0);
        assertEquals(ORDERS, fromWatermark.get("accepted").asLong(), fromWatermark.toString());
        assertTrue(fromWatermark.at("/watermark/before").isNull(), fromWatermark.toString());
        Instant watermark = Instant.parse(fromWatermark.at("/watermark/after").asText());
        assertTrue(watermark.isAfter(now.minus(Duration.ofMinutes(2))), fromWatermark.toString());
        JsonNode nothingNew = loadOrders(0);
        assertEquals(0, nothingNew.get("rowsRead").asLong(), nothingNew.toString());
        assertEquals(watermark.toString(), nothingNew.at("/watermark/before").asText());
        JsonNode whole = loadOrders(0, "--from", first.toString(), "--to", end.toString());
        assertEquals(ORDERS, whole.get("accepted").asLong());

        awaitDailyEvents(first, today, truth);
        List<LocalDate> days = first.datesUntil(end).toList();
        Map<String, List<StoredRows.Stored>> stored = pipeline.awaitStored(List.of(), days, STORE_PATIENCE);
        // Mart's numbers above already equal the truth, so dedup has stored everything it will.
        assertEquals(ORDERS, stored.size());
        assertTrue(stored.values().stream().allMatch(rows -> rows.size() == 1), "each order stored once");

        // Order 14 was updated (refunded) after it was placed: one event, on the day it was placed, typed.
        LocalDate placed = dayOf(14);
        JsonNode order = pipeline.storedProperties(List.of(placed)).values().stream().map(BulkLoadEndToEndIT::json)
                .filter(p -> p.path("order_id").asLong() == 14).findFirst().orElseThrow();
        assertTrue(order.get("order_id").isIntegralNumber(), order.toString());
        assertTrue(order.get("total").isNumber(), order.toString());
        assertEquals(expectedTotal(14), order.get("total").decimalValue().doubleValue(), 0.001);
        assertTrue(order.get("paid").isBoolean() && order.get("paid").asBoolean(), order.toString());
        assertEquals(5, order.get("items").asInt());
        assertEquals("refunded", order.get("status").asText());
        assertEquals(List.of("bulk", "n2"), JSON.convertValue(order.get("tags"), List.class));
        assertEquals("web", order.at("/meta/channel").asText(), "a jsonb column arrives as an object");
        assertTrue(order.at("/meta/coupon").isBoolean(), order.toString());
        assertEquals(updatedAt(14).toString(), order.get("updated_at").asText(), "a time as an ISO-8601 string");
    }

    @Test
    void rowsThatCannotBeEventsAreReportedByKeyAndTheOthersStored() throws Exception {
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(100);
        try (Connection c = postgres.connect("shop"); Statement s = c.createStatement()) {
            // A time without zone for the window column: the loader reads it as UTC.
            s.execute("CREATE TABLE signups (id int PRIMARY KEY, user_id text, happened text, plan text, seats int, "
                    + "created_at timestamp NOT NULL)");
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO signups VALUES (?, ?, ?, ?, ?, ?)")) {
                LocalDateTime created = LocalDateTime.now(ZoneOffset.UTC).minusHours(12);
                for (int id = 1; id <= 50; id++) {
                    insert.setInt(1, id);
                    insert.setString(2, id == 7 ? null : "u-" + id);
                    insert.setString(3, id == 13 ? "last tuesday" : id == 21 ? "2024-01-01T00:00:00Z"
                            : day.atStartOfDay(ZoneOffset.UTC).plusMinutes(30L * id).toOffsetDateTime().toString());
                    insert.setString(4, id % 2 == 0 ? "pro" : "free");
                    insert.setInt(5, id % 4);
                    insert.setObject(6, created);
                    insert.addBatch();
                }
                insert.executeBatch();
            }
        }
        Files.writeString(jobsDir.resolve(signupsJob + ".yaml"), """
                job: %s
                source:
                  jdbc-url: %s
                  user: %s
                  password-env: SHOP_DB_PASSWORD
                  table: signups
                  key: [id]
                  query: SELECT id, user_id, happened, plan, seats FROM signups WHERE created_at >= :from AND created_at < :to
                mapping:
                  event: Signed Up
                  user-id: user_id
                  timestamp: happened
                ingest:
                  url: %s
                """.formatted(signupsJob, postgres.jdbcUrl("shop"), PostgresServer.USER, pipeline.ingestUrl()));
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        JsonNode summary = load(3, signupsJob, "--from", today.minusDays(2).toString(), "--to", today.plusDays(1).toString());
        assertEquals("partial", summary.get("status").asText());
        assertEquals(50, summary.get("rowsRead").asLong());
        assertEquals(47, summary.get("accepted").asLong());
        assertEquals(3, summary.get("refused").asLong());
        Map<String, String> refused = new TreeMap<>();
        summary.get("refusedKeys").forEach(r -> refused.put(r.get("key").asText(), r.get("stage").asText() + " " + r.get("field").asText()));
        assertEquals(Map.of("7", "mapping userId", "13", "mapping timestamp", "21", "ingest timestamp"), refused, summary.toString());

        Map<LocalDate, Long> expected = new TreeMap<>(Map.of(day, 44L, day.plusDays(1), 3L));
        awaitDailyEvents(day, day.plusDays(1), expected);
    }

    private Map<LocalDate, Long> createOrders(Instant from, Instant to) throws Exception {
        long stepMillis = Duration.between(from, to).toMillis() / ORDERS;
        try (Connection c = postgres.connect("shop"); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE orders (id bigint PRIMARY KEY, customer_id text, anon_id text, status text NOT NULL, "
                    + "total numeric(10,2) NOT NULL, paid boolean NOT NULL, items integer NOT NULL, tags text[], meta jsonb, "
                    + "created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)");
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO orders SELECT i, "
                    + "CASE WHEN i % 10 = 0 THEN NULL ELSE 'cust-' || (i % 700) END, CASE WHEN i % 10 = 0 THEN 'anon-' || i END, "
                    + "'placed', round((i % 997) * 1.37 + 0.99, 2), i % 2 = 0, 1 + i % 5, ARRAY['bulk', 'n' || (i % 3)], "
                    + "jsonb_build_object('channel', CASE WHEN i % 2 = 0 THEN 'web' ELSE 'store' END, 'coupon', i % 4 = 0), "
                    + "?::timestamptz + (i - 1) * ? * interval '1 millisecond', ?::timestamptz + (i - 1) * ? * interval '1 millisecond' "
                    + "FROM generate_series(1, ?) AS i")) {
                insert.setObject(1, from.atOffset(ZoneOffset.UTC));
                insert.setLong(2, stepMillis);
                insert.setObject(3, from.atOffset(ZoneOffset.UTC));
                insert.setLong(4, stepMillis);
                insert.setInt(5, ORDERS);
                insert.executeUpdate();
            }
            s.execute("CREATE INDEX orders_updated_at ON orders (updated_at)");
            // Every seventh order is refunded up to three days later: its row moves to a later window, its event day stays.
            s.execute("UPDATE orders SET status = 'refunded', "
                    + "updated_at = LEAST(created_at + (1 + id % 71) * interval '1 hour', now() - interval '30 minutes') WHERE id % 7 = 0");
            Map<LocalDate, Long> truth = new TreeMap<>();
            try (ResultSet rows = s.executeQuery("SELECT (created_at AT TIME ZONE 'UTC')::date, count(*) FROM orders GROUP BY 1")) {
                while (rows.next()) {
                    truth.put(rows.getObject(1, LocalDate.class), rows.getLong(2));
                }
            }
            return truth;
        }
    }

    private static void writeOrdersJob(LocalDate first) throws Exception {
        Files.writeString(jobsDir.resolve(ordersJob + ".yaml"), """
                job: %s
                source:
                  jdbc-url: %s
                  user: %s
                  password-env: SHOP_DB_PASSWORD
                  table: orders
                  key: [id]
                  version: updated_at
                  fetch-size: 500
                  query: |
                    SELECT id, customer_id, anon_id, status, total, paid, items, tags, meta, created_at, updated_at
                    FROM orders
                    WHERE updated_at >= :from AND updated_at < :to
                mapping:
                  event: Order Completed
                  user-id: customer_id
                  anonymous-id: anon_id
                  timestamp: created_at
                  rename: { id: order_id }
                ingest:
                  url: %s
                  chunk-rows: 2000
                window:
                  start: %sT00:00:00Z
                  lag: PT1M
                  step: P10D
                """.formatted(ordersJob, postgres.jdbcUrl("shop"), PostgresServer.USER, pipeline.ingestUrl(), first));
    }

    private static String[] args(String[] window, String... more) {
        List<String> all = new ArrayList<>(List.of("--job", ordersJob, "--jobs-dir", jobsDir.toString()));
        all.addAll(List.of(window));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    /** Runs the orders job to its end and answers its summary, asserting the exit code. */
    private static JsonNode loadOrders(int exitCode, String... arguments) throws Exception {
        return load(exitCode, ordersJob, arguments);
    }

    private static JsonNode load(int exitCode, String job, String... arguments) throws Exception {
        List<String> all = new ArrayList<>(List.of("--job", job, "--jobs-dir", jobsDir.toString()));
        all.addAll(List.of(arguments));
        BulkLoaderProcess run = BulkLoaderProcess.start(environment, all.toArray(String[]::new));
        int code = run.awaitExit(RUN_PATIENCE);
        assertEquals(exitCode, code, run.output() + "\n" + run.progress());
        return run.summary();
    }

    private static long sent(String progress) {
        Matcher matcher = SENT.matcher(progress);
        long sent = 0;
        while (matcher.find()) {
            sent = Long.parseLong(matcher.group(1));
        }
        return sent;
    }

    private static long rowsUpdatedIn(LocalDate from, LocalDate to) throws Exception {
        try (Connection c = postgres.connect("shop");
             PreparedStatement count = c.prepareStatement("SELECT count(*) FROM orders WHERE updated_at >= ? AND updated_at < ?")) {
            count.setObject(1, from.atStartOfDay().atOffset(ZoneOffset.UTC));
            count.setObject(2, to.atStartOfDay().atOffset(ZoneOffset.UTC));
            try (ResultSet rows = count.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }

    private static LocalDate dayOf(long id) throws Exception {
        return LocalDate.ofInstant(column(id, "created_at"), ZoneOffset.UTC);
    }

    private static Instant updatedAt(long id) throws Exception {
        return column(id, "updated_at");
    }

    private static Instant column(long id, String column) throws Exception {
        try (Connection c = postgres.connect("shop");
             PreparedStatement select = c.prepareStatement("SELECT " + column + " FROM orders WHERE id = ?")) {
            select.setLong(1, id);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getObject(1, java.time.OffsetDateTime.class).toInstant();
            }
        }
    }

    private static double expectedTotal(long id) {
        return Math.round(((id % 997) * 1.37 + 0.99) * 100) / 100.0;
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Exports and reads mart's daily events until they equal {@code expected} (dedup stores asynchronously). */
    private static void awaitDailyEvents(LocalDate from, LocalDate to, Map<LocalDate, Long> expected) {
        Map<LocalDate, Long> want = new TreeMap<>(expected);
        await().atMost(STORE_PATIENCE).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            Map<LocalDate, Long> actual = new TreeMap<>();
            pipeline.dailyEvents(from, to).forEach((day, events) -> {
                if (events > 0) {
                    actual.put(day, events);
                }
            });
            assertEquals(want, actual);
        });
    }
}
