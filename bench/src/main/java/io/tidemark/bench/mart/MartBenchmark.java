package io.tidemark.bench.mart;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.BatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.bench.BenchContext;
import io.tidemark.bench.Benchmark;
import io.tidemark.bench.Figure;
import io.tidemark.event.EventIndexLayout;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * mart-service: export rows/s from the Cassandra event-time index to Parquet, the files it makes,
 * and dashboard query latency against the same question answered by scanning every file with no
 * partition or row-group pruning, in the same run on the same files.
 */
public class MartBenchmark implements Benchmark {

    private static final String AREA = "mart";
    private static final int DAYS = 90;
    private static final int EVENT_NAMES = 20;
    private static final int ROWS_PER_BATCH = 40;
    private static final int BATCHES_IN_FLIGHT = 64;
    private static final String TOKEN = "dev-read-token";
    /** mart-service's per-day distinct-user rollup, beside the day's event files. */
    private static final String USERS_ROLLUP = "_distinct_users.rollup";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String name() {
        return "mart";
    }

    @Override
    public void run(BenchContext ctx) throws Exception {
        int events = ctx.shortMode() ? 90_000 : 5_000_000;
        int users = ctx.shortMode() ? 5_000 : 100_000;
        int samples = ctx.shortMode() ? 20 : 200;
        String source = "bench-mart-" + UUID.randomUUID().toString().substring(0, 8);
        LocalDate last = LocalDate.now(ZoneOffset.UTC).minusDays(1);
        LocalDate first = last.minusDays(DAYS - 1);
        Path root = ctx.root().resolve("bench/target/mart-bench-" + source);
        Files.createDirectories(root);
        try {
            long generated = generate(ctx, source, first, events, users);
            System.out.printf("  generated %d events over %d days for %s%n", generated, DAYS, source);

            URI mart = ctx.service("mart-service", Map.of("tidemark.mart.export.root", root.toString(),
                    "tidemark.mart.export.sources", source, "tidemark.mart.export.every", "off"));
            long start = System.nanoTime();
            JsonNode summary = JSON.readTree(call(mart, "POST", "/api/v1/exports?source=" + source, Duration.ofHours(1)));
            double seconds = (System.nanoTime() - start) / 1e9;
            long exported = summary.get("rows").asLong();
            if (exported != generated || !summary.get("failed").isEmpty()) {
                throw new IllegalStateException("exported " + exported + " of " + generated + " rows: " + summary);
            }
            ctx.report(Figure.alone(AREA, "export rows/s", exported / seconds, "rows/s", null));
            ctx.report(Figure.alone(AREA, "export time (" + exported + " rows)", seconds, "s", null));
            long rssAfterExportKb = ctx.rssKb("mart-service");
            reportFiles(ctx, root.resolve("source=" + source));

            Random random = new Random(7);
            List<String> activeUsers = new ArrayList<>();
            List<String> daily = new ArrayList<>();
            for (int i = 0; i < samples; i++) {
                activeUsers.add(first.plusDays(30 + random.nextInt(DAYS - 30)).toString());
                daily.add(first.toString());
            }
            String glob = root.resolve("source=" + source).resolve("*").resolve("*.parquet").toString();
            try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement sql = duck.createStatement()) {
                sql.execute("SET TimeZone = 'UTC'");
                sql.execute("SET threads = 2");
                double[] apiAu = latencies(activeUsers, date -> call(mart, "GET",
                        "/api/v1/metrics/active-users?source=" + source + "&date=" + date, Duration.ofMinutes(1)));
                double[] scanAu = latencies(activeUsers.subList(0, Math.max(5, samples / 10)),
                        date -> scalar(sql, fullScanActiveUsers(glob, LocalDate.parse(date))));
                double[] apiDaily = latencies(daily, from -> call(mart, "GET", "/api/v1/metrics/daily?source=" + source
                        + "&from=" + from + "&to=" + last, Duration.ofMinutes(1)));
                double[] scanDaily = latencies(daily.subList(0, Math.max(5, samples / 10)),
                        from -> scalar(sql, fullScanDaily(glob, LocalDate.parse(from), last)));
                checkSameAnswer(mart, source, sql, glob, LocalDate.parse(activeUsers.get(0)));
                reportLatency(ctx, "active-users", apiAu, scanAu);
                reportLatency(ctx, "daily 90 days", apiDaily, scanDaily);
                ctx.report(Figure.alone(AREA, "mart RSS after export and queries",
                        Math.max(rssAfterExportKb, ctx.rssKb("mart-service")) / 1024.0, "MB", null));
            }
        } finally {
            delete(root);
            forget(ctx, source, first);
        }
    }

    /** Removes the generated source from Cassandra, so a local stack's mart does not export it later. */
    private static void forget(BenchContext ctx, String source, LocalDate first) {
        String[] contact = ctx.cassandraContact().split(":");
        try (CqlSession cql = CqlSession.builder()
                .addContactPoint(new InetSocketAddress(contact[0], Integer.parseInt(contact[1])))
                .withLocalDatacenter("datacenter1").build()) {
            PreparedStatement day = cql.prepare("DELETE FROM tidemark.events_by_day WHERE source = ? AND event_date = ? "
                    + "AND bucket = ?");
            for (int d = 0; d < DAYS; d++) {
                for (int bucket = 0; bucket < EventIndexLayout.BUCKETS_PER_DAY; bucket++) {
                    cql.execute(day.bind(source, first.plusDays(d), (short) bucket));
                }
            }
            cql.execute(com.datastax.oss.driver.api.core.cql.SimpleStatement.newInstance(
                    "DELETE FROM tidemark.changed_days WHERE source = ?", source));
            // Safe for a counter only because nothing writes to this throwaway source again.
            cql.execute(com.datastax.oss.driver.api.core.cql.SimpleStatement.newInstance(
                    "DELETE FROM tidemark.day_changes WHERE source = ?", source));
            cql.execute(com.datastax.oss.driver.api.core.cql.SimpleStatement.newInstance(
                    "DELETE FROM tidemark.exported_days WHERE source = ?", source));
        }
    }

    /** Writes the events the way dedup-service does, straight into Cassandra: unlogged batches per partition, bounded async. */
    private static long generate(BenchContext ctx, String source, LocalDate first, int events, int users) throws Exception {
        String[] contact = ctx.cassandraContact().split(":");
        Random random = new Random(42);
        long written = 0;
        try (CqlSession cql = CqlSession.builder()
                .addContactPoint(new InetSocketAddress(contact[0], Integer.parseInt(contact[1])))
                .withLocalDatacenter("datacenter1").build()) {
            PreparedStatement insert = cql.prepare("INSERT INTO tidemark.events_by_day (source, event_date, bucket, "
                    + "event_time, message_id, type, event, user_id, properties) VALUES (?, ?, ?, ?, ?, 'track', ?, ?, ?)");
            PreparedStatement changed = cql.prepare(
                    "INSERT INTO tidemark.changed_days (source, event_date, changed_at) VALUES (?, ?, ?)");
            PreparedStatement counted = cql.prepare(
                    "UPDATE tidemark.day_changes SET changes = changes + 1 WHERE source = ? AND event_date = ?");
            Semaphore inFlight = new Semaphore(BATCHES_IN_FLIGHT);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long start = System.nanoTime();
            for (int d = 0; d < DAYS; d++) {
                LocalDate day = first.plusDays(d);
                Instant dayStart = day.atStartOfDay(ZoneOffset.UTC).toInstant();
                int perDay = events / DAYS + (d < events % DAYS ? 1 : 0);
                BatchStatementBuilder[] batches = new BatchStatementBuilder[EventIndexLayout.BUCKETS_PER_DAY];
                for (int i = 0; i < perDay; i++) {
                    String messageId = source + "-" + day + "-" + i;
                    short bucket = EventIndexLayout.bucket(messageId);
                    if (batches[bucket] == null) {
                        batches[bucket] = BatchStatement.builder(BatchType.UNLOGGED);
                    }
                    batches[bucket].addStatement(insert.bind(source, day, bucket,
                            dayStart.plusMillis(random.nextInt(86_400_000)), messageId,
                            "Event " + random.nextInt(EVENT_NAMES), "user-" + random.nextInt(users),
                            "{\"plan\":\"pro\",\"n\":" + i + "}"));
                    if (batches[bucket].getStatementsCount() == ROWS_PER_BATCH) {
                        send(cql, batches[bucket].build(), inFlight, failure);
                        batches[bucket] = null;
                    }
                }
                for (BatchStatementBuilder batch : batches) {
                    if (batch != null) {
                        send(cql, batch.build(), inFlight, failure);
                    }
                }
                written += perDay;
            }
            inFlight.acquire(BATCHES_IN_FLIGHT);
            if (failure.get() != null) {
                throw new IllegalStateException("writing events failed", failure.get());
            }
            for (int d = 0; d < DAYS; d++) {
                cql.execute(counted.bind(source, first.plusDays(d)));
                cql.execute(changed.bind(source, first.plusDays(d), Instant.now()));
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            ctx.report(Figure.alone(AREA, "bench data written to Cassandra", written / seconds, "rows/s", null));
        }
        return written;
    }

    private static void send(CqlSession cql, BatchStatement batch, Semaphore inFlight, AtomicReference<Throwable> failure)
            throws InterruptedException {
        inFlight.acquire();
        cql.executeAsync(batch).whenComplete((result, error) -> {
            if (error != null) {
                failure.compareAndSet(null, error);
            }
            inFlight.release();
        });
    }

    private static void reportFiles(BenchContext ctx, Path sourceDir) throws Exception {
        Map<String, List<Long>> days = new TreeMap<>();
        try (Stream<Path> files = Files.walk(sourceDir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".parquet")).toList()) {
                days.computeIfAbsent(file.getParent().getFileName().toString(), d -> new ArrayList<>()).add(Files.size(file));
            }
        }
        long files = days.values().stream().mapToLong(List::size).sum();
        long bytes = days.values().stream().flatMap(List::stream).mapToLong(Long::longValue).sum();
        long largest = days.values().stream().flatMap(List::stream).mapToLong(Long::longValue).max().orElse(0);
        ctx.report(Figure.alone(AREA, "days exported", days.size(), "days", null));
        ctx.report(Figure.alone(AREA, "files per day", (double) files / days.size(), "files", "1 unless a day > 256 MB"));
        ctx.report(Figure.alone(AREA, "mean file size", bytes / (double) files / 1e6, "MB", null));
        ctx.report(Figure.alone(AREA, "largest file", largest / 1e6, "MB", "<= 256 MB target"));
        // The per-day user rollups that active-users reads instead of the events; not *.parquet, so not counted above.
        try (Stream<Path> rollups = Files.walk(sourceDir)) {
            double rollupBytes = rollups.filter(f -> f.getFileName().toString().equals(USERS_ROLLUP))
                    .mapToLong(f -> f.toFile().length()).average().orElse(0);
            ctx.report(Figure.alone(AREA, "mean user rollup size", rollupBytes / 1e6, "MB", null));
        }
    }

    private static void reportLatency(BenchContext ctx, String query, double[] api, double[] scan) {
        ctx.report(new Figure(AREA, query + " p50 (API, pruned)", percentile(api, 50), "ms",
                "full scan p50 (no pruning)", percentile(scan, 50), ">= 10x faster; p50 < 100 ms"));
        ctx.report(new Figure(AREA, query + " p99 (API, pruned)", percentile(api, 99), "ms",
                "full scan p99 (no pruning)", percentile(scan, 99), ">= 10x faster"));
    }

    /** The same numbers without pruning: no Hive keys, and a day test that neither partitions nor statistics can use. */
    private static String fullScanActiveUsers(String glob, LocalDate date) {
        // The API's SQL shape (one grouping by user), minus the predicates that prune.
        return "SELECT count(*) FILTER (WHERE last_seen = '" + date + "') * 1000000000000 "
                + "+ count(*) FILTER (WHERE last_seen >= '" + date.minusDays(6) + "') * 1000000 + count(*) "
                + "FROM (SELECT k, max(d) AS last_seen FROM (SELECT strftime(event_time, '%Y-%m-%d') AS d, "
                + "coalesce(user_id, anonymous_id) AS k FROM read_parquet('" + glob + "', hive_partitioning = false)) "
                + "WHERE d BETWEEN '" + date.minusDays(29) + "' AND '" + date + "' GROUP BY k)";
    }

    private static String fullScanDaily(String glob, LocalDate from, LocalDate to) {
        return "SELECT sum(events) FROM (SELECT d, count(*) AS events, count(DISTINCT k) AS users FROM ("
                + "SELECT strftime(event_time, '%Y-%m-%d') AS d, coalesce(user_id, anonymous_id) AS k "
                + "FROM read_parquet('" + glob + "', hive_partitioning = false)) "
                + "WHERE d BETWEEN '" + from + "' AND '" + to + "' GROUP BY d)";
    }

    /** The baseline must answer the same question: its DAU/WAU/MAU equal the API's. */
    private static void checkSameAnswer(URI mart, String source, Statement sql, String glob, LocalDate date) throws Exception {
        JsonNode api = JSON.readTree(call(mart, "GET", "/api/v1/metrics/active-users?source=" + source + "&date=" + date,
                Duration.ofMinutes(1)));
        long packed = Long.parseLong(scalar(sql, fullScanActiveUsers(glob, date)));
        long expected = api.get("dau").asLong() * 1_000_000_000_000L + api.get("wau").asLong() * 1_000_000L
                + api.get("mau").asLong();
        if (packed != expected) {
            throw new IllegalStateException("baseline and API disagree on " + date + ": " + packed + " vs " + api);
        }
    }

    private interface Call {
        String run(String argument) throws Exception;
    }

    /** Milliseconds per call, after a few warm-up calls. */
    private static double[] latencies(List<String> arguments, Call call) throws Exception {
        for (int i = 0; i < 3; i++) {
            call.run(arguments.get(i));
        }
        double[] millis = new double[arguments.size()];
        for (int i = 0; i < arguments.size(); i++) {
            long start = System.nanoTime();
            call.run(arguments.get(i));
            millis[i] = (System.nanoTime() - start) / 1e6;
        }
        return millis;
    }

    private static double percentile(double[] values, int p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    private static String scalar(Statement sql, String query) throws Exception {
        try (ResultSet rows = sql.executeQuery(query)) {
            rows.next();
            return rows.getString(1);
        }
    }

    private static String call(URI base, String method, String path, Duration timeout) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(base.resolve(path)).timeout(timeout)
                .header("Authorization", "Bearer " + TOKEN).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(method + " " + path + " -> " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    private static void delete(Path root) throws Exception {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
