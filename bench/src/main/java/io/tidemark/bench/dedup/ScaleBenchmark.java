package io.tidemark.bench.dedup;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.JsonNode;
import io.tidemark.bench.BenchContext;
import io.tidemark.bench.Benchmark;
import io.tidemark.bench.CassandraSessions;
import io.tidemark.bench.Figure;
import io.tidemark.bench.NodeTool;
import io.tidemark.event.EventIndexLayout;
import io.tidemark.testsupport.PrivateStack;
import io.tidemark.testsupport.ServiceProcess;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A billion events a day, scaled down in time but not in layout: dedup stores one source's day as
 * fast as it can on a fresh Kafka and Cassandra of its own, told that the day has 24 hours ahead at
 * the present rate (the rate this machine reaches is near a billion a day), so it records the
 * layout such a day gets. The claim ledger holds the dedup window, not a day: the source's claim
 * counts are set to a billion on each of the window's past days before dedup starts, as after a month
 * at that volume, so dedup claims under the layout such a month gets. Cassandra's own nodetool then
 * measures each table's largest partition, and the full day (the full window) is extrapolated from
 * what was written: every bucket keeps its rows and gets its share of the rest under the last layout.
 */
public final class ScaleBenchmark implements Benchmark {

    static final String AREA = "scale";
    private static final double DAY_EVENTS = 1_000_000_000d;
    /** The busiest hour of a web day against the day's average: a slice of that hour gets this much more. */
    private static final double BUSIEST_HOUR = 3;
    private static final double MB = 1024d * 1024;
    private static final int RAW_PARTITIONS = 6;
    /** The dedup window in days (DedupConfig). */
    private static final int WINDOW_DAYS = 30;

    @Override
    public String name() {
        return AREA;
    }

    @Override
    public void run(BenchContext ctx) throws Exception {
        int events = ctx.shortMode() ? 60_000 : 600_000;
        String source = "bench-scale";
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(3);
        Instant noon = day.atStartOfDay(ZoneOffset.UTC).toInstant().plusSeconds(12 * 3600 + 1800);
        Path dir = ctx.root().resolve("bench/target/scale-stack");
        PrivateStack.Ports ports = PrivateStack.Ports.free();
        try (PrivateStack stack = PrivateStack.of(ctx.root(), dir, ports,
                List.of("-Dtidemark.stack.kafka.heap=512m", "-Dtidemark.stack.cassandra.heap=1g"))) {
            stack.ensureFresh();
            try (CqlSession cql = session(stack)) {
                LocalDate today = LocalDate.now(ZoneOffset.UTC);
                for (int d = 1; d <= WINDOW_DAYS; d++) {
                    cql.execute("UPDATE tidemark.claim_counts SET claims = claims + ? WHERE source = ? AND claimed_on = ?",
                            (long) DAY_EVENTS, source, today.minusDays(d));
                }
            }
            double rate;
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrap()));
                 ServiceProcess dedup = ServiceProcess.of(ctx.root(), "dedup-service").properties(List.of(
                                 "kafka.bootstrap.servers=" + stack.kafkaBootstrap(),
                                 "quarkus.cassandra.contact-points=" + stack.cassandraContact(),
                                 // A past day projected a whole day ahead at its rate: the layout of a day
                                 // that keeps arriving at this rate for 24 hours.
                                 "tidemark.dedup.index.past-day-horizon=PT24H"))
                         .jvmOptions(ctx.jvmOptions("dedup-service"))
                         .log(ctx.root().resolve("bench/target"), "scale-bench-dedup.log").start()) {
                CommitProgress progress = new CommitProgress(admin, "tidemark.events.raw", "tidemark-dedup", RAW_PARTITIONS);
                Map<Integer, Long> start = progress.ends();
                long written = System.nanoTime();
                DedupBenchmark.fill(stack.kafkaBootstrap(), "tidemark.events.raw",
                        BenchEvents.unique(source, "scale", events, noon));
                rate = DedupBenchmark.drain(dedup::rssKb, progress, start, progress.ends(), 0, written).recordsPerSecond();
            }
            NodeTool nodetool = new NodeTool(ctx.root(), stack.cassandraJmxPort());
            nodetool.flush("tidemark");
            JsonNode index = nodetool.tablestats("tidemark", "events_by_day");
            JsonNode claims = nodetool.tablestats("tidemark", "message_claims");
            try (CqlSession cql = session(stack)) {
                report(ctx, cql, source, day, events, rate, index, claims);
            }
        }
    }

    private static CqlSession session(PrivateStack stack) {
        return CassandraSessions.open("127.0.0.1:" + stack.cassandraPort());
    }

    private static void report(BenchContext ctx, CqlSession cql, String source, LocalDate day, int events, double rate,
            JsonNode index, JsonNode claims) {
        List<Row> versions = cql.execute("SELECT version, buckets, slice_seconds, reason FROM tidemark.index_layouts "
                + "WHERE source = ? AND event_date = ?", source, day).all();
        int buckets = EventIndexLayout.bucketsToRead(versions.isEmpty() ? null : versions.get(0).getInt("buckets"));
        long[] rows = rowsPerBucket(cql, source, day, buckets);
        long stored = 0;
        long fullest = 0;
        for (long n : rows) {
            stored += n;
            fullest = Math.max(fullest, n);
        }
        // Bytes of one row as Cassandra sizes partitions (uncompressed): mean partition size times partitions.
        double indexRowBytes = index.path("compacted_partition_mean_bytes").asDouble()
                * index.path("number_of_partitions_estimate").asDouble() / stored;
        double claimRowBytes = claims.path("compacted_partition_mean_bytes").asDouble()
                * claims.path("number_of_partitions_estimate").asDouble() / stored;
        // The rest of the day spread over the buckets of the last layout, three times as dense in the
        // busiest hour's slices.
        double rest = Math.max(0, DAY_EVENTS - stored) / buckets * BUSIEST_HOUR;
        double indexDayMb = (fullest + rest) * indexRowBytes / MB;
        List<Row> claimVersions = cql.execute("SELECT version, buckets, reason FROM tidemark.claim_layouts WHERE source = ?",
                source).all();
        int claimBuckets = claimVersions.isEmpty() ? 60 : claimVersions.get(0).getInt("buckets");
        // Claims hash evenly over the buckets: at a million a bucket the fullest is within a few tenths
        // of a percent of the mean, so the window is the mean of the last layout.
        double claimRows = DAY_EVENTS * WINDOW_DAYS / claimBuckets;
        double claimWindowMb = claimRows * claimRowBytes / MB;

        System.out.printf("  scale: dedup stored %,d events of one day at %,.0f events/s (%,.0f a day at this rate)%n",
                stored, rate, rate * 86_400);
        for (Row v : versions) {
            System.out.printf("  scale: layout version %d: %,d buckets, slices of %d s (%s)%n", v.getInt("version"),
                    v.getInt("buckets"), v.isNull("slice_seconds") ? 86_400 : v.getInt("slice_seconds"), v.getString("reason"));
        }
        System.out.printf("  scale: %-16s nodetool: largest partition %,.1f KB, mean %,.1f KB, %,d partitions; %,.0f bytes a row%n",
                "events_by_day", index.path("compacted_partition_maximum_bytes").asDouble() / 1024,
                index.path("compacted_partition_mean_bytes").asDouble() / 1024,
                index.path("number_of_partitions_estimate").asLong(), indexRowBytes);
        System.out.printf("  scale: %-16s on disk: %,d bytes live for %,d rows (%,.0f bytes a row), compression ratio %.2f%n",
                "", index.path("space_used_live").asLong(), stored, index.path("space_used_live").asDouble() / stored,
                index.path("sstable_compression_ratio").asDouble());
        System.out.printf("  scale: %-16s at 1 B a day: fullest bucket %,d rows now + (1e9 - %,d) / %,d buckets x %.0f (busiest"
                + " hour) = %,.0f rows x %,.0f bytes = %,.1f MB%n", "", fullest, stored, buckets, BUSIEST_HOUR, fullest + rest,
                indexRowBytes, indexDayMb);
        System.out.printf("  scale: %-16s nodetool: largest partition %,.1f KB, mean %,.1f KB, %,d partitions; %,.0f bytes a claim%n",
                "message_claims", claims.path("compacted_partition_maximum_bytes").asDouble() / 1024,
                claims.path("compacted_partition_mean_bytes").asDouble() / 1024,
                claims.path("number_of_partitions_estimate").asLong(), claimRowBytes);
        for (Row v : claimVersions) {
            System.out.printf("  scale: claim layout version %d: %,d buckets (%s)%n", v.getInt("version"),
                    v.getInt("buckets"), v.getString("reason"));
        }
        System.out.printf("  scale: %-16s at 1 B a day: 1e9 x %d days / %,d buckets = %,.0f claims x %,.0f bytes = %,.1f MB%n",
                "", WINDOW_DAYS, claimBuckets, claimRows, claimRowBytes, claimWindowMb);
        ctx.report(Figure.alone(AREA, "events_by_day largest partition at 1 B/day", indexDayMb, "MB", "< 100 MB"));
        ctx.report(Figure.alone(AREA, "events_by_day buckets for the day", buckets, "buckets", null));
        ctx.report(Figure.alone(AREA, "message_claims largest partition at 1 B/day, 30-day window", claimWindowMb, "MB",
                "< 100 MB"));
        ctx.report(Figure.alone(AREA, "message_claims buckets for the source", claimBuckets, "buckets", null));
    }

    /** Rows in each bucket of the day, counted with a bounded number of reads in flight. */
    private static long[] rowsPerBucket(CqlSession cql, String source, LocalDate day, int buckets) {
        PreparedStatement count = cql.prepare("SELECT COUNT(*) FROM tidemark.events_by_day "
                + "WHERE source = ? AND event_date = ? AND bucket = ?");
        long[] rows = new long[buckets];
        List<CompletableFuture<Void>> inFlight = new ArrayList<>();
        for (int b = 0; b < buckets; b++) {
            int bucket = b;
            CompletionStage<AsyncResultSet> read = cql.executeAsync(count.bind(source, day, (short) bucket));
            inFlight.add(read.thenAccept(rs -> rows[bucket] = rs.one().getLong(0)).toCompletableFuture());
            if (inFlight.size() == 64) {
                inFlight.forEach(CompletableFuture::join);
                inFlight.clear();
            }
        }
        inFlight.forEach(CompletableFuture::join);
        return rows;
    }
}
