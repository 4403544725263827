package io.tidemark.bench.bulk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.bench.BenchContext;
import io.tidemark.bench.Benchmark;
import io.tidemark.bench.Figure;
import io.tidemark.bench.dedup.BenchTopics;
import io.tidemark.bench.dedup.CommitProgress;
import io.tidemark.bench.dedup.DedupBenchmark;
import io.tidemark.testsupport.PostgresServer;
import io.tidemark.testsupport.Trees;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import java.io.BufferedWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The packaged bulk-loader reading orders from a PostgreSQL of its own and sending them through
 * ingest's {@code POST /bulk/v1/import}, beside the same events imported from an NDJSON file in one
 * streamed request to the same ingest (the path a file export takes). Rounds alternate the two, each
 * path under a job name of its own so that its messageIds are new to dedup. Two clocks per path: until
 * ingest acknowledged the last event (Kafka has them), and until a dedup of the benchmark's own
 * committed every record of it (Cassandra has them: the issue's "to stored events"); the loader's
 * clock for the second starts with its JVM. The loader's peak RSS (VmHWM of its process) is measured
 * at 200,000 rows and, in full mode only, again at 2,000,000 with dedup stopped: bounded memory means
 * the two are about the same.
 */
public final class BulkBenchmark implements Benchmark {

    static final String AREA = "bulk";
    private static final String WRITE_KEY = "bench-write-key";
    private static final String INGEST = "ingest-service";
    private static final String DEDUP = "dedup-service";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The large window of the flat-memory check (full mode only: it takes about a minute more). */
    private static final int LARGE_ROWS = 2_000_000;
    /** The loader runs with the JVM options it ships (its heap among them); the dry run needs more heap. */
    private static final String SHIPPED_OPTIONS = "shipped jvm.options";
    private static final Duration RSS_SAMPLE_INTERVAL = Duration.ofMillis(100);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Override
    public String name() {
        return AREA;
    }

    @Override
    public void run(BenchContext ctx) throws Exception {
        int rows = ctx.shortMode() ? 20_000 : 200_000;
        int rounds = ctx.shortMode() ? 1 : 3;
        Path work = Files.createTempDirectory("tidemark-bench-bulk-");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, ctx.kafkaBootstrap()));
             BenchTopics topics = BenchTopics.create(admin, AREA);
             PostgresServer postgres = PostgresServer.start()) {
            // An ingest and a dedup of this benchmark's own, on its topics: another benchmark of the same run
            // may have started them on topics of its own.
            ctx.stopService(INGEST);
            URI ingest = ctx.service(INGEST, Map.of("mp.messaging.outgoing.events-raw.topic", topics.raw,
                    "tidemark.ingest.sources.bench.write-keys", WRITE_KEY));
            ctx.stopService(DEDUP);
            ctx.service(DEDUP, topics.dedupProperties());
            StoredClock storedClock = new StoredClock(topics.progress());
            LocalDate from = LocalDate.now(ZoneOffset.UTC).minusDays(31);
            LocalDate to = LocalDate.now(ZoneOffset.UTC).plusDays(1);
            createOrders(postgres, rows);
            String[] window = {"--from", from.toString(), "--to", to.toString()};
            Jobs jobs = new Jobs(ctx, work, postgres, ingest, window, rows);

            // Warm-up of ingest, the broker and dedup, on events of a job of its own.
            Path warmUp = jobs.file("warm-up");
            long started = System.nanoTime();
            importFile(ingest, warmUp);
            storedClock.since(started);
            System.out.printf("  bulk: %d orders in PostgreSQL, the same %d events in a %.1f MB NDJSON file, %d round(s)%n",
                    rows, rows, Files.size(warmUp) / 1e6, rounds);

            List<Double> loaderRates = new ArrayList<>();
            List<Double> fileRates = new ArrayList<>();
            List<Double> loaderStoredRates = new ArrayList<>();
            List<Double> fileStoredRates = new ArrayList<>();
            List<Double> peakRss = new ArrayList<>();
            long refused = 0;
            for (int round = 1; round <= rounds; round++) {
                // Each path's events under a job of their own: messageIds differ, so dedup stores every one
                // of them instead of dropping the second path's as copies of the first's.
                Path job = jobs.job("loader-" + round);
                Path file = jobs.file("file-" + round);

                started = System.nanoTime();
                LoaderRun load = loader(ctx, job, null, window);
                double loaderStored = storedClock.since(started);
                JsonNode summary = load.summary();
                long accepted = summary.get("accepted").asLong();
                refused += summary.get("refused").asLong() + (rows - accepted);
                loaderRates.add(accepted * 1000.0 / summary.get("durationMs").asLong());
                loaderStoredRates.add(loaderStored);
                peakRss.add(load.peakRssMb());

                started = System.nanoTime();
                fileRates.add(importFile(ingest, file));
                fileStoredRates.add(storedClock.since(started));
                Files.delete(file);
                System.out.printf("  round %d: bulk-loader %.0f rows/s acknowledged, %.0f stored (%d rows in %d ms, peak RSS %.0f MB); "
                                + "file import %.0f events/s acknowledged, %.0f stored%n",
                        round, loaderRates.get(round - 1), loaderStored, accepted, summary.get("durationMs").asLong(),
                        load.peakRssMb(), fileRates.get(round - 1), fileStoredRates.get(round - 1));
            }
            // The issue's figure: from PostgreSQL to stored events, the loader's JVM start included, against the
            // same events from a file until stored. Dedup and Cassandra share the two cores with both paths.
            ctx.report(new Figure(AREA, "bulk-loader rows/s from PostgreSQL to stored events", median(loaderStoredRates),
                    "rows/s", "POST /bulk/v1/import events/s of the same events from a file to stored events",
                    median(fileStoredRates), "ratio >= 0.8"));
            // Stricter, and the loader's own cost: until ingest acknowledged (Kafka has them), dedup storing beside.
            ctx.report(new Figure(AREA, "bulk-loader rows/s from PostgreSQL to acknowledged", median(loaderRates), "rows/s",
                    "POST /bulk/v1/import events/s of the same events from a file to acknowledged", median(fileRates), null));
            // Reading and mapping alone, without ingest (the dry run that wrote the warm-up file): how much of the
            // loader's time is its own, beside what waiting for ingest's answers adds.
            ctx.report(new Figure(AREA, "bulk-loader rows/s from PostgreSQL to acknowledged", median(loaderRates), "rows/s",
                    "the same rows read and mapped on one thread (dry run), rows/s", jobs.mappedRate(), null));
            ctx.report(Figure.alone(AREA, "rows not accepted", refused, "rows", "0"));
            // The large window below measures the loader until acknowledged, as before dedup ran here.
            ctx.stopService(DEDUP);
            String rssAtRows = String.format("bulk-loader peak RSS at %,d rows (%s)", rows, SHIPPED_OPTIONS);
            if (ctx.shortMode()) {
                ctx.report(Figure.alone(AREA, rssAtRows, median(peakRss), "MB", null));
            } else {
                // The same job over ten times the rows: memory must not grow with the window.
                Path file = jobs.file("large-file");
                createOrders(postgres, LARGE_ROWS);
                LoaderRun large = loader(ctx, jobs.job("large"), null, window);
                long accepted = large.summary().get("accepted").asLong();
                refused += LARGE_ROWS - accepted;
                double largeRate = accepted * 1000.0 / large.summary().get("durationMs").asLong();
                System.out.printf("  %d rows: bulk-loader %.0f rows/s (%d ms), peak RSS %.0f MB%n", LARGE_ROWS,
                        largeRate, large.summary().get("durationMs").asLong(), large.peakRssMb());
                // The file path at the same size: the 200,000 events ten times over (ingest does not
                // deduplicate; dedup would, and it is stopped). At 200,000 rows the loader's run lasts about
                // three seconds, much of it a fresh JVM compiling; a window ten times larger shows the steady rate.
                Path largeFile = work.resolve("orders-x" + LARGE_ROWS / rows + ".ndjson");
                try (java.io.OutputStream out = Files.newOutputStream(largeFile)) {
                    for (int copy = 0; copy < LARGE_ROWS / rows; copy++) {
                        Files.copy(file, out);
                    }
                }
                double largeFileRate = importFile(ingest, largeFile);
                Files.delete(largeFile);
                System.out.printf("  %d events from a file: %.0f events/s%n", LARGE_ROWS, largeFileRate);
                ctx.report(new Figure(AREA, String.format("bulk-loader rows/s from PostgreSQL at %,d rows to acknowledged", LARGE_ROWS),
                        largeRate, "rows/s", String.format("POST /bulk/v1/import events/s of %,d events from a file", LARGE_ROWS),
                        largeFileRate, null));
                ctx.report(new Figure(AREA, String.format("bulk-loader peak RSS at %,d rows (%s)", LARGE_ROWS, SHIPPED_OPTIONS),
                        large.peakRssMb(), "MB", rssAtRows, median(peakRss), "ratio <= 1.2 (flat)"));
                ctx.report(Figure.alone(AREA, String.format("rows not accepted at %,d rows", LARGE_ROWS), LARGE_ROWS - accepted,
                        "rows", "0"));
            }
        } finally {
            Trees.delete(work);
        }
    }

    /**
     * The rate of records stored since a start: every record written to the raw topic since the last
     * call, until dedup's group committed it (after Cassandra acknowledged its row).
     */
    private static final class StoredClock {

        private final CommitProgress progress;
        private Map<Integer, Long> mark;

        StoredClock(CommitProgress progress) throws Exception {
            this.progress = progress;
            this.mark = progress.ends();
        }

        /** Records per second from {@code started} (a {@link System#nanoTime()}) until they were stored. */
        double since(long started) throws Exception {
            Map<Integer, Long> written = progress.ends();
            double rate = DedupBenchmark.drain(() -> 0, progress, mark, written, 0, started).recordsPerSecond();
            mark = written;
            return rate;
        }
    }

    /** Job files of this run, and NDJSON files of exactly the events a job's rows map to. */
    private static final class Jobs {
        private final BenchContext ctx;
        private final Path dir;
        private final PostgresServer postgres;
        private final URI ingest;
        private final String[] window;
        private final int rows;
        private final String run = UUID.randomUUID().toString().substring(0, 8);
        private double mappedRate;

        Jobs(BenchContext ctx, Path dir, PostgresServer postgres, URI ingest, String[] window, int rows) {
            this.ctx = ctx;
            this.dir = dir;
            this.postgres = postgres;
            this.ingest = ingest;
            this.window = window;
            this.rows = rows;
        }

        /** The orders job under a name of this run: the name is part of every row's messageId. */
        Path job(String name) throws Exception {
            return writeJob(dir, "bench-orders-" + run + "-" + name, postgres, ingest);
        }

        /** The events the job {@code name} sends, as the loader's own dry run maps them, one per line. */
        Path file(String name) throws Exception {
            // The sample holds every event in memory, so the dry run overrides the shipped heap.
            JsonNode dry = loader(ctx, job(name), "-Xmx1g", concat(window, "--dry-run", "--sample", Integer.toString(rows)))
                    .summary();
            if (mappedRate == 0) {
                mappedRate = rows * 1000.0 / dry.get("durationMs").asLong();
            }
            Path file = dir.resolve(name + ".ndjson");
            try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                for (JsonNode event : dry.get("sample")) {
                    out.write(JSON.writeValueAsString(event));
                    out.write('\n');
                }
            }
            return file;
        }

        /** Rows/s of the first dry run: reading and mapping on one thread, nothing sent. */
        double mappedRate() {
            return mappedRate;
        }
    }

    private static void createOrders(PostgresServer postgres, int rows) throws Exception {
        Instant start = Instant.now().minus(Duration.ofDays(30));
        try (Connection c = postgres.connect("shop"); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS orders");
            s.execute("CREATE TABLE orders (id bigint PRIMARY KEY, customer_id text NOT NULL, status text NOT NULL, "
                    + "total numeric(10,2) NOT NULL, paid boolean NOT NULL, items integer NOT NULL, "
                    + "created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)");
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO orders SELECT i, 'cust-' || (i % 5000), 'placed', "
                    + "round((i % 997) * 1.37 + 0.99, 2), i % 2 = 0, 1 + i % 5, ?::timestamptz + i * ? * interval '1 millisecond', "
                    + "?::timestamptz + i * ? * interval '1 millisecond' FROM generate_series(1, ?) AS i")) {
                long step = Duration.ofDays(30).toMillis() / rows;
                insert.setObject(1, start.atOffset(ZoneOffset.UTC));
                insert.setLong(2, step);
                insert.setObject(3, start.atOffset(ZoneOffset.UTC));
                insert.setLong(4, step);
                insert.setInt(5, rows);
                insert.executeUpdate();
            }
            s.execute("CREATE INDEX orders_updated_at ON orders (updated_at)");
            s.execute("VACUUM ANALYZE orders");
        }
    }

    private static Path writeJob(Path dir, String name, PostgresServer postgres, URI ingest) throws Exception {
        Path job = dir.resolve(name + ".yaml");
        Files.writeString(job, """
                job: %s
                source:
                  jdbc-url: %s
                  user: %s
                  password-env: BENCH_DB_PASSWORD
                  table: orders
                  key: [id]
                  query: SELECT * FROM orders WHERE updated_at >= :from AND updated_at < :to
                mapping:
                  event: Order Completed
                  user-id: customer_id
                  timestamp: created_at
                  rename: { id: order_id }
                ingest:
                  url: %s
                """.formatted(name, postgres.jdbcUrl("shop"), PostgresServer.USER, ingest.toString()));
        return job;
    }

    /** A loader run's summary and the peak resident memory of its process. */
    private record LoaderRun(JsonNode summary, double peakRssMb) {
    }

    /** One run of the packaged loader with its shipped JVM options ({@code heap} overrides theirs if not null). */
    private static LoaderRun loader(BenchContext ctx, Path job, String heap, String... arguments) throws Exception {
        Path jar = ctx.root().resolve("bulk-loader/target/tidemark-bulk-loader.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: bench/run packages it first");
        }
        Path options = ctx.root().resolve("bulk-loader/target/jvm.options");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + options));
        if (heap != null) {
            command.add(heap); // after the argument file, so it wins
        }
        // e.g. -XX:StartFlightRecording=filename=/tmp/loader.jfr to profile the loader where it is measured.
        String extra = System.getenv("TIDEMARK_BENCH_LOADER_OPTS");
        if (extra != null && !extra.isBlank()) {
            command.addAll(List.of(extra.trim().split("\\s+")));
        }
        command.addAll(List.of("-jar", jar.toString(), "load", "--job", job.toString()));
        command.addAll(List.of(arguments));
        Path out = Files.createTempFile("bulk-summary-", ".json");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD);
            builder.environment().putAll(Map.of("BENCH_DB_PASSWORD", PostgresServer.PASSWORD, "TIDEMARK_WRITE_KEY", WRITE_KEY));
            Process process = builder.start();
            long peakKb = 0;
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            // VmHWM is the process's own high-water mark, so sampling it late still sees an early peak.
            while (!process.waitFor(RSS_SAMPLE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS)) {
                peakKb = Math.max(peakKb, residentHighWaterKb(process.pid()));
                if (System.nanoTime() > deadline) {
                    process.destroyForcibly().waitFor();
                    throw new IllegalStateException("the loader did not finish in 10 minutes");
                }
            }
            // The summary is the last line: JVM options (a flight recording) may print lines before it.
            List<String> lines = Files.readAllLines(out).stream().filter(line -> !line.isBlank()).toList();
            JsonNode summary = JSON.readTree(lines.isEmpty() ? "{}" : lines.get(lines.size() - 1));
            if (process.exitValue() != 0) {
                throw new IllegalStateException("the loader exited " + process.exitValue() + ": " + summary);
            }
            return new LoaderRun(summary, peakKb / 1024.0);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** VmHWM of /proc/<pid>/status in kB, or 0 once the process is gone. */
    private static long residentHighWaterKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // The process ended between two samples.
        }
        return 0;
    }

    /** The file in one streamed request, as {@code curl --data-binary @file} sends it; events/s acknowledged. */
    private double importFile(URI ingest, Path file) throws Exception {
        long started = System.nanoTime();
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(ingest.resolve("/bulk/v1/import"))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((WRITE_KEY + ":").getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/x-ndjson").timeout(Duration.ofMinutes(10))
                .POST(HttpRequest.BodyPublishers.ofFile(file)).build(), HttpResponse.BodyHandlers.ofString());
        double seconds = (System.nanoTime() - started) / 1e9;
        if (response.statusCode() != 200) {
            throw new IllegalStateException("file import answered " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body()).get("accepted").asLong() / seconds;
    }

    private static String[] concat(String[] first, String... more) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private static double median(List<Double> values) {
        return values.stream().sorted().skip(values.size() / 2).findFirst().orElseThrow();
    }
}
