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
import io.tidemark.bench.CassandraSessions;
import io.tidemark.bench.Figure;
import io.tidemark.bench.QuietCassandra;
import io.tidemark.event.EventIndexLayout;

import io.tidemark.testsupport.Trees;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    private static final int RETENTION_WEEKS = 12;
    /** mart-service's default breakdown rollup paths, and the plan the breakdown figure splits by. */
    private static final String BREAKDOWN_ROLLUP_PATHS = "context.os.name,context.device.type,properties.plan";
    /** mart-service's tidemark.mart.retention.lookback-days default. */
    private static final int RETENTION_LOOKBACK_DAYS = 90;
    /** properties.plan of the generated events by share; the rest (1 %) have no plan: the breakdown's missing. */
    private static final String[] PLANS = {"free", "pro", "team", "enterprise"};
    private static final double[] PLAN_SHARES = {0.50, 0.30, 0.15, 0.04};
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
        // The questions that read event files take a second or more for the baseline; fewer samples keep the run short.
        int heavySamples = ctx.shortMode() ? 10 : 60;
        String source = "bench-mart-" + UUID.randomUUID().toString().substring(0, 8);
        // The same shape again under another name: each mart exports it first, so the figures measure a
        // mart and a Cassandra whose JIT compilers have done their work, as in a mart that exports all day.
        String warmUp = source + "-warm-up";
        LocalDate last = LocalDate.now(ZoneOffset.UTC).minusDays(1);
        LocalDate first = last.minusDays(DAYS - 1);
        Path root = ctx.root().resolve("bench/target/mart-bench-" + source);
        Files.createDirectories(root);
        try {
            Generated generated = generate(ctx, source, first, events, users);
            System.out.printf("  generated %d events over %d days for %s (%d not yet arrived, left out)%n",
                    generated.written(), DAYS, source, generated.notYetArrived());
            Sources sources = new Sources(source, generated.written(), warmUp,
                    generate(ctx, warmUp, first, events, users).written());

            Export export = export(ctx, sources, root, Map.of());
            URI mart = export.mart();
            JsonNode summary = export.summary();
            double seconds = export.seconds();
            long exported = generated.written();
            double exportRate = exported / seconds;
            ctx.report(Figure.alone(AREA, "export rows/s, first export of a fresh mart (the warm-up)",
                    sources.warmUpRows() / export.warmUpSeconds(), "rows/s",
                    "the figure of runs before 2026-12-05 06:18 UTC, which exported only this"));
            ctx.report(Figure.alone(AREA, "export rows/s", exportRate, "rows/s",
                    ">= 64,476 (0.9 x 71,640, the code before issue #16 on this machine, idle)"));
            ctx.report(Figure.alone(AREA, "export time (" + exported + " rows)", seconds, "s", null));
            reportExportSteps(ctx, export.steps());
            long bytes = 0;
            for (JsonNode day : summary.get("exported")) {
                bytes += day.get("bytes").asLong();
            }
            double bytesPerRow = (double) bytes / exported;
            long rssAfterExportKb = ctx.rssKb("mart-service");
            reportFiles(ctx, root.resolve("source=" + source));

            Random random = new Random(7);
            List<String> activeUsers = new ArrayList<>();
            List<String> daily = new ArrayList<>();
            List<String> anyDay = new ArrayList<>();
            List<String> month = new ArrayList<>();
            for (int i = 0; i < samples; i++) {
                activeUsers.add(first.plusDays(30 + random.nextInt(DAYS - 30)).toString());
                daily.add(first.toString());
                anyDay.add(first.plusDays(random.nextInt(DAYS)).toString());
                month.add(first.plusDays(random.nextInt(DAYS - 29)).toString());
            }
            List<String> heavyMonth = month.subList(0, heavySamples);
            List<String> heavyWhole = daily.subList(0, heavySamples);
            String glob = root.resolve("source=" + source).resolve("*").resolve("*.parquet").toString();
            FullScan scan = new FullScan(glob);
            String query = "/api/v1/metrics/%s?source=" + source;
            try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement sql = duck.createStatement()) {
                sql.execute("SET TimeZone = 'UTC'");
                sql.execute("SET threads = 2");
                double[] apiAu = latencies(activeUsers, date -> get(mart, query.formatted("active-users") + "&date=" + date));
                double[] scanAu = latencies(baselineShare(activeUsers),
                        date -> scalar(sql, scan.activeUsers(LocalDate.parse(date))));
                double[] apiDaily = latencies(daily, from -> get(mart, query.formatted("daily") + "&from=" + from
                        + "&to=" + last));
                double[] scanDaily = latencies(baselineShare(daily),
                        from -> scalar(sql, scan.daily(LocalDate.parse(from), last)));
                checkSameAnswer(mart, source, sql, scan, LocalDate.parse(activeUsers.get(0)));
                reportLatency(ctx, "active-users", apiAu, scanAu, "p50 < 100 ms");
                reportLatency(ctx, "daily 90 days", apiDaily, scanDaily, "p50 < 100 ms");

                double[] apiLate = latencies(month, from -> get(mart, query.formatted("lateness") + "&from=" + from
                        + "&to=" + LocalDate.parse(from).plusDays(29)));
                double[] scanLate = latencies(baselineShare(month),
                        from -> rows(sql, scan.lateness(LocalDate.parse(from), LocalDate.parse(from).plusDays(29))));
                checkLateness(mart, query, generated, first, last);
                reportLatency(ctx, "lateness 30 days", apiLate, scanLate, "p50 < 50 ms");

                double[] apiRev = latencies(anyDay, date -> get(mart, query.formatted("revisions") + "&date=" + date));
                double[] scanRev = latencies(baselineShare(anyDay), date -> scalar(sql, scan.dayNumbers(LocalDate.parse(date))));
                checkRevisions(mart, query, sql, scan, generated, first, LocalDate.parse(anyDay.get(0)));
                reportLatency(ctx, "revisions of a day", apiRev, scanRev, "p50 < 50 ms");

                // 12 ISO-week cohorts, each followed for 12 weeks (the later ones until yesterday).
                LocalDate cohortsFrom = first.plusDays(7);
                LocalDate cohortsTo = cohortsFrom.plusWeeks(11);
                String retention = query.formatted("retention") + "&from=" + cohortsFrom + "&to=" + cohortsTo
                        + "&period=week&periods=" + RETENTION_WEEKS;
                double[] apiRet = latencies(heavyWhole, any -> get(mart, retention));
                String retentionScan = weeklyRetentionScan(scan, cohortsFrom, cohortsTo);
                double[] scanRet = latencies(baselineShare(heavyWhole), any -> rows(sql, retentionScan));
                checkRetention(mart, retention, sql, retentionScan);
                reportLatency(ctx, "retention 12 weeks", apiRet, scanRet, ">= 10x faster; p50 < 200 ms");

                String[] steps = {"Event 0", "Event 1", "Event 2"};
                String funnel = query.formatted("funnel") + "&steps=" + String.join(",", steps).replace(" ", "%20")
                        + "&within=1d";
                double[] apiFunnel = latencies(heavyMonth, from -> get(mart, funnel + "&from=" + from
                        + "&to=" + LocalDate.parse(from).plusDays(29)));
                double[] scanFunnel = latencies(baselineShare(heavyMonth), from -> scalar(sql,
                        scan.funnel(LocalDate.parse(from), LocalDate.parse(from).plusDays(29), steps)));
                checkFunnel(mart, funnel, sql, scan, LocalDate.parse(month.get(0)), steps);
                reportLatency(ctx, "funnel 3 steps 30 days", apiFunnel, scanFunnel, "p50 < 500 ms");

                String breakdown = query.formatted("daily") + "&from=" + first + "&to=" + last + "&by=properties.plan";
                double[] apiBy = latencies(heavyWhole, any -> get(mart, breakdown));
                double[] scanBy = latencies(baselineShare(heavyWhole), any -> rows(sql, scan.breakdown(first, last, "plan")));
                checkBreakdown(mart, breakdown, generated);
                reportLatency(ctx, "breakdown by plan 90 days", apiBy, scanBy, "p50 < 300 ms");

                ctx.report(Figure.alone(AREA, "mart RSS after export and queries",
                        Math.max(rssAfterExportKb, ctx.rssKb("mart-service")) / 1024.0, "MB", null));
            }
            ctx.report(new Figure(AREA, "export rows/s, lanes", exportRate, "rows/s",
                    "the same export in one lane, 2 DuckDB threads a statement (as before lanes)",
                    exportInOneLane(ctx, sources, root.resolve("one-lane")), ">= 200,000 rows/s (issue #20)"));
            // Last: it restarts mart with a target file size that cuts its day into slices.
            // -Dtidemark.bench.mart.late-rows=2000000 gives a short run the full run's late day.
            LateSlices.run(ctx, root.resolve("late"), Integer.getInteger("tidemark.bench.mart.late-rows",
                    ctx.shortMode() ? 200_000 : 2_000_000), bytesPerRow);
        } finally {
            Trees.delete(root);
            forget(ctx, source, first);
            forget(ctx, warmUp, first);
        }
    }

    /**
     * Exports the source again the way mart did before lanes, into a root of its own, and returns its
     * rows/s: one lane reading the day and writing its slices, DuckDB's two threads in each statement.
     * The export ledger is cleared first, so every day is exported again from the same Cassandra rows,
     * the warm-up's first as in {@link #export}.
     */
    private static double exportInOneLane(BenchContext ctx, Sources sources, Path root) throws Exception {
        try (CqlSession cql = session(ctx)) {
            for (String source : List.of(sources.measured(), sources.warmUp())) {
                cql.execute(com.datastax.oss.driver.api.core.cql.SimpleStatement.newInstance(
                        "DELETE FROM tidemark.exported_days WHERE source = ?", source));
            }
        }
        ctx.stopService("mart-service");
        Export export = export(ctx, sources, root,
                Map.of("tidemark.mart.export.lanes", "1", "tidemark.mart.duckdb.export.threads", "2"));
        System.out.printf("  one lane: %d rows in %.1f s (its warm-up: %.1f s)%n", sources.measuredRows(),
                export.seconds(), export.warmUpSeconds());
        return sources.measuredRows() / export.seconds();
    }

    /** The measured source and its warm-up, of the same shape, with the rows each has in Cassandra. */
    private record Sources(String measured, long measuredRows, String warmUp, long warmUpRows) {
    }

    /** The measured export, its mart's first export (the warm-up), and the seconds each step of the measured one took. */
    private record Export(URI mart, JsonNode summary, double seconds, double warmUpSeconds, Map<String, Double> steps) {
    }

    /**
     * Starts mart on {@code root} with {@code settings} beside the benchmark's own (unless it runs
     * already), exports every day of the warm-up source and then of the measured one, and checks that
     * every row of each was exported. Only the second is the figure: a fresh mart's first export spends
     * a tenth of mart's CPU and a quarter of Cassandra's in their JIT compilers (async-profiler,
     * mart-service/PERFORMANCE.md), a cost a mart that exports all day pays once.
     */
    private static Export export(BenchContext ctx, Sources sources, Path root, Map<String, String> settings)
            throws Exception {
        Map<String, String> properties = new HashMap<>(settings);
        properties.putAll(Map.of("tidemark.mart.export.root", root.toString(),
                "tidemark.mart.export.sources", sources.measured() + "," + sources.warmUp(),
                "tidemark.mart.export.every", "off",
                // properties.plan is what the breakdown asks for, so its rollup is written beside the default paths.
                "tidemark.mart.breakdown.rollup-paths", BREAKDOWN_ROLLUP_PATHS));
        URI mart = ctx.service("mart-service", properties);
        double warmUpSeconds = exportAtRest(ctx, mart, sources.warmUp(), sources.warmUpRows()).seconds();
        Map<String, Double> before = exportStepSeconds(ctx);
        Timed measured = exportAtRest(ctx, mart, sources.measured(), sources.measuredRows());
        Map<String, Double> steps = new TreeMap<>(exportStepSeconds(ctx));
        steps.replaceAll((step, seconds) -> seconds - before.getOrDefault(step, 0.0));
        return new Export(mart, measured.summary(), measured.seconds(), warmUpSeconds, steps);
    }

    private record Timed(JsonNode summary, double seconds) {
    }

    /** Exports every day of {@code source} once, Cassandra at rest first, and checks that all {@code rows} were exported. */
    private static Timed exportAtRest(BenchContext ctx, URI mart, String source, long rows) throws Exception {
        // Each export starts with Cassandra at rest: the first came right after the 5 M rows were written
        // and ran beside their flushes and compactions, the one-lane export minutes later without them,
        // and lanes read 0.75x and 0.78x one lane in the full runs of 15:07 and 20:57 UTC, 2026-12-04.
        try (CqlSession cql = session(ctx)) {
            Duration rest = QuietCassandra.of(ctx.root(), cql, ctx.cassandraJmxPort()).settle();
            System.out.printf("  Cassandra at rest after %.1f s; exporting %s%n", rest.toMillis() / 1000.0, source);
        }
        long start = System.nanoTime();
        JsonNode summary = JSON.readTree(call(mart, "POST", "/api/v1/exports?source=" + source, Duration.ofHours(1)));
        double seconds = (System.nanoTime() - start) / 1e9;
        if (summary.get("rows").asLong() != rows || !summary.get("failed").isEmpty()) {
            throw new IllegalStateException("exported " + summary.get("rows") + " of " + rows + " rows of " + source
                    + ": " + summary);
        }
        return new Timed(summary, seconds);
    }

    /** The baseline's samples: a tenth of the API's, at least 5 (each scans every file). */
    private static List<String> baselineShare(List<String> arguments) {
        return arguments.subList(0, Math.min(arguments.size(), Math.max(5, arguments.size() / 10)));
    }

    /** The same weeks the API asks for: since = first cohort's Monday minus its 90-day lookback, activity until yesterday. */
    private static String weeklyRetentionScan(FullScan scan, LocalDate from, LocalDate to) {
        LocalDate firstMonday = from.with(java.time.temporal.TemporalAdjusters.previousOrSame(java.time.DayOfWeek.MONDAY));
        LocalDate lastMonday = to.with(java.time.temporal.TemporalAdjusters.previousOrSame(java.time.DayOfWeek.MONDAY));
        LocalDate cohortsEnd = lastMonday.plusDays(6);
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        LocalDate activityEnd = cohortsEnd.plusWeeks(RETENTION_WEEKS).isBefore(today)
                ? cohortsEnd.plusWeeks(RETENTION_WEEKS) : today;
        return scan.weeklyRetention(firstMonday.minusDays(RETENTION_LOOKBACK_DAYS), firstMonday, cohortsEnd, activityEnd,
                RETENTION_WEEKS);
    }

    /** Loads and counts wait up to a minute a request (CassandraSessions): 64 batches of 40 rows are in flight. */
    static CqlSession session(BenchContext ctx) {
        return CassandraSessions.open(ctx.cassandraContact(), Duration.ofSeconds(60));
    }

    /** Removes the generated source from Cassandra, so a local stack's mart does not export it later. */
    private static void forget(BenchContext ctx, String source, LocalDate first) {
        try (CqlSession cql = session(ctx)) {
            PreparedStatement day = cql.prepare("DELETE FROM tidemark.events_by_day WHERE source = ? AND event_date = ? "
                    + "AND bucket = ?");
            PreparedStatement revisions = cql.prepare("DELETE FROM tidemark.mart_revisions WHERE source = ? AND event_date = ?");
            for (int d = 0; d < DAYS; d++) {
                cql.execute(revisions.bind(source, first.plusDays(d)));
                for (int bucket = 0; bucket < EventIndexLayout.ORIGINAL_BUCKETS; bucket++) {
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

    /**
     * What was written, tallied as it was written: the independent answer the API's numbers are
     * checked against. {@code delays[day][bucket]} uses the lateness API's buckets
     * ({@link ArrivalDelays#BUCKETS}); {@code plans} counts events per properties.plan, null = none.
     */
    private record Generated(long written, long notYetArrived, long[] perDay, long[][] delays, Map<String, Long> plans) {
    }

    /**
     * Writes the events the way dedup-service does, straight into Cassandra: unlogged batches per
     * partition, bounded async. Each gets a receivedAt from {@link ArrivalDelays}; an event whose
     * receivedAt would be after now has not arrived yet and is not written, so the latest days lack
     * their late tail as they would in production. Rows are already deduplicated, as dedup leaves them.
     */
    private static Generated generate(BenchContext ctx, String source, LocalDate first, int events, int users)
            throws Exception {
        Random random = new Random(42);
        Instant now = Instant.now();
        long written = 0;
        long notYetArrived = 0;
        long[] perDay = new long[DAYS];
        long[][] delays = new long[DAYS][ArrivalDelays.BUCKETS.length];
        Map<String, Long> plans = new java.util.HashMap<>();
        try (CqlSession cql = session(ctx)) {
            PreparedStatement insert = cql.prepare("INSERT INTO tidemark.events_by_day (source, event_date, bucket, "
                    + "event_time, message_id, type, event, user_id, properties, received_at) "
                    + "VALUES (?, ?, ?, ?, ?, 'track', ?, ?, ?, ?)");
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
                int perDayTarget = events / DAYS + (d < events % DAYS ? 1 : 0);
                BatchStatementBuilder[] batches = new BatchStatementBuilder[EventIndexLayout.ORIGINAL_BUCKETS];
                for (int i = 0; i < perDayTarget; i++) {
                    String messageId = source + "-" + day + "-" + i;
                    Instant eventTime = dayStart.plusMillis(random.nextInt(86_400_000));
                    String event = "Event " + random.nextInt(EVENT_NAMES);
                    String user = "user-" + random.nextInt(users);
                    String plan = plan(random);
                    long delay = ArrivalDelays.sampleMillis(random);
                    Instant receivedAt = eventTime.plusMillis(delay);
                    if (receivedAt.isAfter(now)) {
                        notYetArrived++;
                        continue;
                    }
                    short bucket = EventIndexLayout.bucket(messageId);
                    if (batches[bucket] == null) {
                        batches[bucket] = BatchStatement.builder(BatchType.UNLOGGED);
                    }
                    batches[bucket].addStatement(insert.bind(source, day, bucket, eventTime, messageId, event, user,
                            plan == null ? "{\"n\":" + i + "}" : "{\"plan\":\"" + plan + "\",\"n\":" + i + "}", receivedAt));
                    if (batches[bucket].getStatementsCount() == ROWS_PER_BATCH) {
                        send(cql, batches[bucket].build(), inFlight, failure);
                        batches[bucket] = null;
                    }
                    perDay[d]++;
                    delays[d][ArrivalDelays.bucket(delay)]++;
                    plans.merge(plan == null ? "" : plan, 1L, Long::sum);
                }
                for (BatchStatementBuilder batch : batches) {
                    if (batch != null) {
                        send(cql, batch.build(), inFlight, failure);
                    }
                }
                written += perDay[d];
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
        return new Generated(written, notYetArrived, perDay, delays, plans);
    }

    /** A plan by {@link #PLAN_SHARES}, or null (no plan key) for the rest. */
    private static String plan(Random random) {
        double at = random.nextDouble();
        for (int i = 0; i < PLANS.length; i++) {
            at -= PLAN_SHARES[i];
            if (at < 0) {
                return PLANS[i];
            }
        }
        return null;
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

    private static void reportLatency(BenchContext ctx, String query, double[] api, double[] scan, String goal) {
        ctx.report(new Figure(AREA, query + " p50 (API, pruned)", percentile(api, 50), "ms",
                "full scan p50 (no pruning)", percentile(scan, 50), goal));
        ctx.report(new Figure(AREA, query + " p99 (API, pruned)", percentile(api, 99), "ms",
                "full scan p99 (no pruning)", percentile(scan, 99), null));
    }

    /** The baseline must answer the same question: its DAU/WAU/MAU equal the API's. */
    private static void checkSameAnswer(URI mart, String source, Statement sql, FullScan scan, LocalDate date)
            throws Exception {
        JsonNode api = JSON.readTree(get(mart, "/api/v1/metrics/active-users?source=" + source + "&date=" + date));
        long packed = Long.parseLong(scalar(sql, scan.activeUsers(date)));
        long expected = api.get("dau").asLong() * 1_000_000_000_000L + api.get("wau").asLong() * 1_000_000L
                + api.get("mau").asLong();
        if (packed != expected) {
            throw new IllegalStateException("baseline and API disagree on " + date + ": " + packed + " vs " + api);
        }
    }

    /** Every day's delay histogram equals the generator's tally, and the window's percentiles reflect the mix. */
    private static void checkLateness(URI mart, String query, Generated generated, LocalDate first, LocalDate last)
            throws Exception {
        JsonNode api = JSON.readTree(get(mart, query.formatted("lateness") + "&from=" + first + "&to=" + last));
        JsonNode days = api.get("days");
        for (int d = 0; d < DAYS; d++) {
            JsonNode day = days.get(d);
            long[] tally = generated.delays()[d];
            for (int b = 0; b < tally.length; b++) {
                long served = day.get("delays").get(ArrivalDelays.BUCKETS[b]).asLong();
                if (served != tally[b] || day.get("events").asLong() != generated.perDay()[d]) {
                    throw new IllegalStateException("lateness of " + day.get("date") + " " + ArrivalDelays.BUCKETS[b]
                            + ": API " + served + ", generated " + tally[b] + ": " + day);
                }
            }
        }
        System.out.printf("  lateness window: %s%n", api.get("window"));
    }

    /** One export per day: first report = now = the generated count, and users = the baseline's distinct users. */
    private static void checkRevisions(URI mart, String query, Statement sql, FullScan scan, Generated generated,
            LocalDate first, LocalDate date) throws Exception {
        JsonNode api = JSON.readTree(get(mart, query.formatted("revisions") + "&date=" + date));
        String[] baseline = scalar(sql, scan.dayNumbers(date)).split(",");
        long events = generated.perDay()[(int) java.time.temporal.ChronoUnit.DAYS.between(first, date)];
        JsonNode now = api.get("now");
        if (api.get("revisions").size() != 1 || now.get("events").asLong() != events
                || api.get("firstReported").get("events").asLong() != events
                || now.get("users").asLong() != Long.parseLong(baseline[1]) || now.get("pendingChanges").asBoolean()) {
            throw new IllegalStateException("revisions of " + date + ": API " + api + ", generated " + events
                    + " events, baseline " + String.join(",", baseline));
        }
    }

    /** Every cohort's users and active counts equal the full scan's. */
    private static void checkRetention(URI mart, String retention, Statement sql, String scan) throws Exception {
        Map<String, String> expected = new TreeMap<>();
        for (String row : rows(sql, scan)) {
            String[] cells = row.split("\\|");
            expected.put(cells[0] + "|" + cells[1], cells[2]);
        }
        for (JsonNode cohort : JSON.readTree(get(mart, retention)).get("cohorts")) {
            String start = cohort.get("start").asText();
            check("retention cohort " + start, cohort.get("users").asText(), expected.getOrDefault(start + "|-1", "0"));
            JsonNode active = cohort.get("active");
            for (int k = 0; k < active.size(); k++) {
                if (!active.get(k).isNull()) {
                    check("retention " + start + " week " + k, active.get(k).asText(),
                            expected.getOrDefault(start + "|" + k, "0"));
                }
            }
        }
    }

    private static void checkFunnel(URI mart, String funnel, Statement sql, FullScan scan, LocalDate from, String[] steps)
            throws Exception {
        LocalDate to = from.plusDays(29);
        JsonNode api = JSON.readTree(get(mart, funnel + "&from=" + from + "&to=" + to));
        List<String> users = new ArrayList<>();
        api.get("steps").forEach(step -> users.add(step.get("users").asText()));
        check("funnel " + from, String.join(",", users), scalar(sql, scan.funnel(from, to, steps)));
    }

    /** Per plan over the 90 days, the breakdown's events equal the generator's tally, and other is empty. */
    private static void checkBreakdown(URI mart, String breakdown, Generated generated) throws Exception {
        Map<String, Long> served = new TreeMap<>();
        for (JsonNode day : JSON.readTree(get(mart, breakdown)).get("days")) {
            JsonNode split = day.get("breakdown");
            split.get("values").forEach(v -> served.merge(v.get("value").asText(), v.get("events").asLong(), Long::sum));
            served.merge("", split.get("missing").get("events").asLong(), Long::sum);
            served.merge("(other)", split.get("other").get("events").asLong(), Long::sum);
        }
        Map<String, Long> expected = new TreeMap<>(generated.plans());
        expected.put("(other)", 0L);
        check("breakdown by plan", served.toString(), expected.toString());
    }

    private static void check(String what, String api, String expected) {
        if (!api.equals(expected)) {
            throw new IllegalStateException(what + ": API " + api + ", expected " + expected);
        }
    }

    private interface Call {
        Object run(String argument) throws Exception;
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

    /** Every row of a query, its columns joined by |. */
    private static List<String> rows(Statement sql, String query) throws Exception {
        List<String> rows = new ArrayList<>();
        try (ResultSet result = sql.executeQuery(query)) {
            int columns = result.getMetaData().getColumnCount();
            while (result.next()) {
                StringBuilder row = new StringBuilder();
                for (int c = 1; c <= columns; c++) {
                    row.append(c > 1 ? "|" : "").append(result.getString(c));
                }
                rows.add(row.toString());
            }
        }
        return rows;
    }

    /** The seconds mart's export spent in each step so far ({@code tidemark.mart.export.step} timers). */
    static Map<String, Double> exportStepSeconds(BenchContext ctx) throws Exception {
        HttpResponse<String> metrics = HTTP.send(HttpRequest.newBuilder(ctx.managementUri("mart-service", "/q/metrics"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        Map<String, Double> seconds = new TreeMap<>();
        Matcher step = Pattern.compile("^tidemark_mart_export_step_seconds_sum\\{[^}]*step=\"([a-z]+)\"[^}]*} (\\S+)$",
                Pattern.MULTILINE).matcher(metrics.body());
        while (step.find()) {
            seconds.merge(step.group(1), Double.parseDouble(step.group(2)), Double::sum);
        }
        return seconds;
    }

    /**
     * The share of the export's time each step took (mart's tidemark.mart.export.step timers, summed over the
     * days), and what the rollups issue #16 added (lateness, breakdowns, weeks) cost together: measured in
     * this run, on these rows, rather than against a figure from another data set.
     */
    private static void reportExportSteps(BenchContext ctx, Map<String, Double> seconds) {
        double total = seconds.values().stream().mapToDouble(Double::doubleValue).sum();
        if (total <= 0) {
            throw new IllegalStateException("mart reported no export step times: " + seconds);
        }
        seconds.forEach((name, s) -> ctx.report(Figure.alone(AREA, "export step " + name + " share", 100 * s / total, "%", null)));
        double added = seconds.getOrDefault("lateness", 0.0) + seconds.getOrDefault("breakdown", 0.0)
                + seconds.getOrDefault("weeks", 0.0);
        ctx.report(Figure.alone(AREA, "export share of the lateness, breakdown and week rollups", 100 * added / total, "%",
                "< 10% (the export cost the rollups may add)"));
    }

    private static String get(URI base, String path) throws Exception {
        return call(base, "GET", path, Duration.ofMinutes(1));
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

}
