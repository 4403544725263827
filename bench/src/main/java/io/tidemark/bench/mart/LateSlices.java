package io.tidemark.bench.mart;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.BatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.bench.BenchContext;
import io.tidemark.bench.Figure;
import io.tidemark.event.ChangedHours;
import io.tidemark.event.EventIndexLayout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletionStage;

/**
 * What one late event costs the export: a day cut into hour slices gets one late event marked as
 * dedup marks it now (with its hour), and then one marked as a dedup host before hour counts marks it
 * (the day only), which is re-exported whole: the baseline, in the same run, on the same day.
 */
final class LateSlices {

    private static final String AREA = "mart";
    private static final String TOKEN = "dev-read-token";
    private static final int SLICES = 8;
    private static final int ROWS_PER_BATCH = 40;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private LateSlices() {
    }

    /**
     * Writes one day of {@code rows}, starts mart with a target file size that cuts it into about
     * {@link #SLICES} slices ({@code bytesPerRow} from the main export), and measures both re-exports.
     */
    static void run(BenchContext ctx, Path root, int rows, double bytesPerRow) throws Exception {
        String source = "bench-late-" + UUID.randomUUID().toString().substring(0, 8);
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(200);
        try (CqlSession cql = MartBenchmark.session(ctx)) {
            try {
                write(cql, source, day, rows);
                long target = Math.max(64 * 1024, (long) (rows * bytesPerRow / SLICES));
                ctx.stopService("mart-service");
                URI mart = ctx.service("mart-service", Map.of("tidemark.mart.export.root", root.toString(),
                        "tidemark.mart.export.sources", source, "tidemark.mart.export.every", "off",
                        "tidemark.mart.export.target-file-bytes", Long.toString(target)));
                JsonNode first = export(mart, source);
                System.out.printf("  late slices: a day of %d rows in %d files (target %d bytes)%n",
                        first.get("rows").asLong(), first.get("files").asInt(), target);

                late(cql, source, day, true);
                Map<String, Double> before = MartBenchmark.exportStepSeconds(ctx);
                long started = System.nanoTime();
                JsonNode slice = export(mart, source);
                double sliceSeconds = (System.nanoTime() - started) / 1e9;
                expect(slice, rows + 1, "hours ");
                // Where the slice's time went: its own rows (read, events) and the whole day's rollups from Parquet.
                Map<String, Double> after = MartBenchmark.exportStepSeconds(ctx);
                StringBuilder steps = new StringBuilder();
                after.forEach((step, total) -> steps.append(String.format(" %s %.2f s;", step,
                        total - before.getOrDefault(step, 0.0))));
                System.out.println("  late slices: the slice's export steps:" + steps);

                late(cql, source, day, false);
                started = System.nanoTime();
                JsonNode whole = export(mart, source);
                double wholeSeconds = (System.nanoTime() - started) / 1e9;
                expect(whole, rows + 2, "whole day");

                System.out.printf("  late slices: one late event re-read %s (%d rows) in %.2f s; marked without its hour, "
                        + "the whole day (%d rows) in %.2f s%n", slice.get("reread").asText(), slice.get("rowsRead").asLong(),
                        sliceSeconds, whole.get("rowsRead").asLong(), wholeSeconds);
                ctx.report(Figure.alone(AREA, "late event re-export, its slice (" + first.get("files").asInt()
                        + " files a day)", sliceSeconds, "s", null));
                ctx.report(Figure.alone(AREA, "late event re-export, whole day (baseline)", wholeSeconds, "s", null));
                ctx.report(Figure.alone(AREA, "late event re-export, slice / whole day", sliceSeconds / wholeSeconds, "x",
                        "well under 1 (a slice's rows, and the day's rollups from Parquet)"));
                ctx.report(Figure.alone(AREA, "late event re-export, rows read from Cassandra, slice / whole day",
                        slice.get("rowsRead").asDouble() / whole.get("rowsRead").asDouble(), "x", "about 1/" + SLICES));
            } finally {
                forget(cql, source, day);
            }
        }
    }

    private static void expect(JsonNode day, long rows, String reread) {
        if (day.get("rows").asLong() != rows || !day.get("reread").asText().startsWith(reread)) {
            throw new IllegalStateException("expected " + rows + " rows, re-read " + reread + ": " + day);
        }
    }

    /** The day's rows as dedup writes them (unlogged batches per partition), then its mark with every hour. */
    private static void write(CqlSession cql, String source, LocalDate day, int rows) throws Exception {
        PreparedStatement insert = cql.prepare("INSERT INTO tidemark.events_by_day (source, event_date, bucket, "
                + "event_time, message_id, type, event, user_id, properties, received_at) "
                + "VALUES (?, ?, ?, ?, ?, 'track', ?, ?, ?, ?)");
        Random random = new Random(11);
        Instant start = day.atStartOfDay(ZoneOffset.UTC).toInstant();
        BatchStatementBuilder[] batches = new BatchStatementBuilder[EventIndexLayout.ORIGINAL_BUCKETS];
        List<CompletionStage<AsyncResultSet>> inFlight = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            String messageId = source + "-" + i;
            Instant eventTime = start.plusMillis(random.nextInt(86_400_000));
            short bucket = EventIndexLayout.bucket(messageId);
            if (batches[bucket] == null) {
                batches[bucket] = BatchStatement.builder(BatchType.UNLOGGED);
            }
            batches[bucket].addStatement(insert.bind(source, day, bucket, eventTime, messageId,
                    "Event " + random.nextInt(20), "user-" + random.nextInt(100_000), "{\"n\":" + i + "}",
                    eventTime.plusSeconds(random.nextInt(600))));
            if (batches[bucket].getStatementsCount() == ROWS_PER_BATCH) {
                inFlight.add(cql.executeAsync(batches[bucket].build()));
                batches[bucket] = null;
            }
            if (inFlight.size() == 64) {
                inFlight.forEach(stage -> stage.toCompletableFuture().join());
                inFlight.clear();
            }
        }
        for (BatchStatementBuilder batch : batches) {
            if (batch != null) {
                inFlight.add(cql.executeAsync(batch.build()));
            }
        }
        inFlight.forEach(stage -> stage.toCompletableFuture().join());
        String everyHour = String.join(", ", ChangedHours.columns().stream().map(c -> c + " = " + c + " + 1").toList());
        cql.execute(SimpleStatement.newInstance("UPDATE tidemark.day_changes SET changes = changes + 1, "
                + "hour_marked = hour_marked + 1, " + everyHour + " WHERE source = ? AND event_date = ?", source, day));
        cql.execute(SimpleStatement.newInstance("INSERT INTO tidemark.changed_days (source, event_date, changed_at) "
                + "VALUES (?, ?, ?)", source, day, Instant.now()));
    }

    /** One event of 13:20 arriving late, marked with its hour ({@code withHour}) or as an older dedup host marks it. */
    private static void late(CqlSession cql, String source, LocalDate day, boolean withHour) {
        String messageId = UUID.randomUUID().toString();
        Instant eventTime = day.atTime(13, 20).toInstant(ZoneOffset.UTC);
        cql.execute(SimpleStatement.newInstance("INSERT INTO tidemark.events_by_day (source, event_date, bucket, "
                + "event_time, message_id, type, event, user_id, received_at) VALUES (?, ?, ?, ?, ?, 'track', ?, ?, ?)",
                source, day, EventIndexLayout.bucket(messageId), eventTime, messageId, "Late", "late-user", Instant.now()));
        String hour = ChangedHours.column(ChangedHours.hourOf(eventTime));
        cql.execute(SimpleStatement.newInstance("UPDATE tidemark.day_changes SET changes = changes + 1"
                + (withHour ? ", hour_marked = hour_marked + 1, " + hour + " = " + hour + " + 1" : "")
                + " WHERE source = ? AND event_date = ?", source, day));
    }

    /** Exports the source; returns its one exported day. */
    private static JsonNode export(URI mart, String source) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(mart.resolve("/api/v1/exports?source=" + source))
                .timeout(Duration.ofMinutes(30)).header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode summary = JSON.readTree(response.body());
        if (response.statusCode() != 200 || summary.get("exported").size() != 1 || !summary.get("failed").isEmpty()) {
            throw new IllegalStateException("export of " + source + ": " + response.statusCode() + " " + response.body());
        }
        return summary.get("exported").get(0);
    }

    private static void forget(CqlSession cql, String source, LocalDate day) {
        for (int bucket = 0; bucket < EventIndexLayout.ORIGINAL_BUCKETS; bucket++) {
            cql.execute(SimpleStatement.newInstance("DELETE FROM tidemark.events_by_day WHERE source = ? AND event_date = ? "
                    + "AND bucket = ?", source, day, (short) bucket));
        }
        cql.execute(SimpleStatement.newInstance("DELETE FROM tidemark.mart_revisions WHERE source = ? AND event_date = ?",
                source, day));
        cql.execute(SimpleStatement.newInstance("DELETE FROM tidemark.changed_days WHERE source = ?", source));
        // Safe for a counter only because nothing writes to this throwaway source again.
        cql.execute(SimpleStatement.newInstance("DELETE FROM tidemark.day_changes WHERE source = ?", source));
        cql.execute(SimpleStatement.newInstance("DELETE FROM tidemark.exported_days WHERE source = ?", source));
    }
}
