package io.tidemark.bench.bulk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.bench.BenchContext;
import io.tidemark.bench.Benchmark;
import io.tidemark.bench.Figure;
import io.tidemark.testsupport.PostgresServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

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
 * streamed request to the same ingest (the path a file export takes): what is left is the cost of
 * the cursor, the mapping and the loader's chunking. Rounds alternate the two.
 */
public final class BulkBenchmark implements Benchmark {

    static final String AREA = "bulk";
    private static final String WRITE_KEY = "bench-write-key";
    private static final String MODULE = "ingest-service";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Override
    public String name() {
        return AREA;
    }

    @Override
    public void run(BenchContext ctx) throws Exception {
        int rows = ctx.shortMode() ? 20_000 : 200_000;
        int rounds = ctx.shortMode() ? 1 : 3;
        String run = UUID.randomUUID().toString().substring(0, 8);
        String topic = "tidemark.bench.bulk-" + run;
        Path work = Files.createTempDirectory("tidemark-bench-bulk-");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, ctx.kafkaBootstrap()));
             PostgresServer postgres = PostgresServer.start()) {
            admin.createTopics(List.of(new NewTopic(topic, 6, (short) 1))).all().get(30, TimeUnit.SECONDS);
            try {
                // Shared with the ingest benchmark's source and key, in case it started ingest first in this run.
                URI ingest = ctx.service(MODULE, Map.of("mp.messaging.outgoing.events-raw.topic", topic,
                        "tidemark.ingest.sources.bench.write-keys", WRITE_KEY));
                LocalDate from = LocalDate.now(ZoneOffset.UTC).minusDays(31);
                LocalDate to = LocalDate.now(ZoneOffset.UTC).plusDays(1);
                createOrders(postgres, rows);
                Path job = writeJob(work, postgres, ingest);
                String[] window = {"--from", from.toString(), "--to", to.toString()};

                // The file baseline holds exactly the events the loader sends: its own dry run maps them.
                Path file = work.resolve("orders.ndjson");
                JsonNode dry = loader(ctx, job, "-Xmx1g", concat(window, "--dry-run", "--sample", Integer.toString(rows)));
                try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                    for (JsonNode event : dry.get("sample")) {
                        out.write(JSON.writeValueAsString(event));
                        out.write('\n');
                    }
                }
                System.out.printf("  bulk: %d orders in PostgreSQL, the same %d events in a %.1f MB NDJSON file, %d round(s)%n",
                        rows, dry.get("sample").size(), Files.size(file) / 1e6, rounds);
                double mappedRate = rows * 1000.0 / dry.get("durationMs").asLong();
                importFile(ingest, file); // warm-up of ingest and the broker

                List<Double> loaderRates = new ArrayList<>();
                List<Double> fileRates = new ArrayList<>();
                long refused = 0;
                for (int round = 1; round <= rounds; round++) {
                    JsonNode summary = loader(ctx, job, "-Xmx256m", window);
                    long accepted = summary.get("accepted").asLong();
                    refused += summary.get("refused").asLong() + (rows - accepted);
                    loaderRates.add(accepted * 1000.0 / summary.get("durationMs").asLong());
                    fileRates.add(importFile(ingest, file));
                    System.out.printf("  round %d: bulk-loader %.0f rows/s (%d rows in %d ms); file import %.0f events/s%n", round,
                            loaderRates.get(round - 1), accepted, summary.get("durationMs").asLong(), fileRates.get(round - 1));
                }
                ctx.report(new Figure(AREA, "bulk-loader rows/s from PostgreSQL", median(loaderRates), "rows/s",
                        "POST /bulk/v1/import events/s of the same events from a file", median(fileRates), null));
                // Reading and mapping alone (the dry run that wrote the file): the part sending cannot speed up.
                ctx.report(new Figure(AREA, "bulk-loader rows/s from PostgreSQL", median(loaderRates), "rows/s",
                        "the same rows read and mapped only (dry run), rows/s", mappedRate, null));
                ctx.report(Figure.alone(AREA, "rows not accepted", refused, "rows", "0"));
            } finally {
                admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
            }
        } finally {
            try (var paths = Files.walk(work)) {
                for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    private static void createOrders(PostgresServer postgres, int rows) throws Exception {
        Instant start = Instant.now().minus(Duration.ofDays(30));
        try (Connection c = postgres.connect("shop"); Statement s = c.createStatement()) {
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

    private static Path writeJob(Path dir, PostgresServer postgres, URI ingest) throws Exception {
        Path job = dir.resolve("bench-orders.yaml");
        Files.writeString(job, """
                job: bench-orders
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
                """.formatted(postgres.jdbcUrl("shop"), PostgresServer.USER, ingest.toString()));
        return job;
    }

    /** One run of the packaged loader; its summary. */
    private static JsonNode loader(BenchContext ctx, Path job, String heap, String... arguments) throws Exception {
        Path jar = ctx.root().resolve("bulk-loader/target/tidemark-bulk-loader.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: bench/run packages it first");
        }
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                heap, "-jar", jar.toString(), "load", "--job", job.toString()));
        command.addAll(List.of(arguments));
        Path out = Files.createTempFile("bulk-summary-", ".json");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD);
            builder.environment().putAll(Map.of("BENCH_DB_PASSWORD", PostgresServer.PASSWORD, "TIDEMARK_WRITE_KEY", WRITE_KEY));
            Process process = builder.start();
            if (!process.waitFor(10, TimeUnit.MINUTES)) {
                process.destroyForcibly().waitFor();
                throw new IllegalStateException("the loader did not finish in 10 minutes");
            }
            JsonNode summary = JSON.readTree(Files.readString(out));
            if (process.exitValue() != 0) {
                throw new IllegalStateException("the loader exited " + process.exitValue() + ": " + summary);
            }
            return summary;
        } finally {
            Files.deleteIfExists(out);
        }
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
