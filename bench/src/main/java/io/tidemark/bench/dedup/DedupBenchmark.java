package io.tidemark.bench.dedup;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import io.tidemark.bench.BenchContext;
import io.tidemark.bench.Benchmark;
import io.tidemark.bench.CassandraSessions;
import io.tidemark.bench.Figure;
import io.tidemark.bench.NodeTool;
import io.tidemark.bench.QuietCassandra;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.event.EventIndexLayout;
import io.tidemark.testsupport.IndexBuckets;
import io.tidemark.testsupport.ServiceProcess;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongSupplier;

/**
 * dedup-service draining the raw topic (rounds of 0% copies, then one of 30% copies, each range written at
 * once), each 0% round after a round of a plain DataStax-driver program writing the same rows into the same
 * table with async inserts at bounded concurrency, and a round of one making dedup's ledger requests too
 * ({@link LedgerFloor}); dedup's RSS; and the end-to-end latency from ingest's
 * acknowledgement to the row being stored, at half of dedup's measured maximum rate.
 */
public final class DedupBenchmark implements Benchmark {

    static final String AREA = "dedup";
    private static final String MODULE = "dedup-service";
    private static final double COPIES = 0.30;
    private static final String WRITE_KEY = "bench-dedup-write-key";
    /** Two batches of each raw partition, as dedup claims a partition's next batch while it stores the last. */
    private static final int FLOOR_BATCHES_IN_FLIGHT = 2 * BenchTopics.PARTITIONS;
    /** dedup-service's default {@code tidemark.dedup.claims.layout-refresh}. */
    private static final Duration LAYOUT_REFRESH = Duration.ofSeconds(10);

    @Override
    public String name() {
        return AREA;
    }

    @Override
    public void run(BenchContext ctx) throws Exception {
        boolean quick = ctx.shortMode();
        // Records per range. Ranges are one busy source's stream whose layouts grew in the warm-up, so their length
        // no longer decides which layout is measured (dedup-service/PERFORMANCE.md, "A busy source's steady state").
        int records = Integer.getInteger("tidemark.bench.dedup.records", quick ? 20_000 : 100_000);
        int warmUpRanges = Integer.getInteger("tidemark.bench.dedup.warm-up-ranges", quick ? 1 : 12);
        int rounds = quick ? 2 : 3;
        int concurrency = Integer.getInteger("tidemark.bench.dedup.baseline.concurrency", 64);
        // By default the rounds measure the busy source right after its layouts grew in the warm-up, when a lookup
        // also reads the older claim layouts; true measures it more than a window later, the current layout alone
        // (MonthLater). Both made 8.1-8.3 claim reads per 100 rows, and read 0.64-0.71x and 0.70x (2026-12-05):
        // the older layouts' buckets are partitions that a batch's lookups in the newest layout read anyway.
        boolean monthLater = Boolean.getBoolean("tidemark.bench.dedup.month-later");
        Duration latencyRun = quick ? Duration.ofSeconds(8) : Duration.ofSeconds(30);
        Duration latencyWarmUp = quick ? Duration.ofSeconds(4) : Duration.ofSeconds(30);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, ctx.kafkaBootstrap()));
             BenchTopics topics = BenchTopics.create(admin, AREA)) {
            measure(ctx, topics, records, warmUpRanges, rounds, concurrency, monthLater, latencyRun, latencyWarmUp);
        }
    }

    private static void measure(BenchContext ctx, BenchTopics topics, int records, int warmUpRanges, int rounds,
            int concurrency, boolean monthLater, Duration latencyRun, Duration latencyWarmUp) throws Exception {
        String run = topics.run;
        String raw = topics.raw;
        String clean = topics.clean;
        String uniqueSource = "bench-dedup-" + run;
        String copiesSource = "bench-dedup-copies-" + run;
        String baselineSource = "bench-driver-" + run;
        String floorSource = "bench-driver-ledger-" + run;
        String latencySource = "bench-latency-" + run;
        // Two hours ago: a stream's rows are in the past by the time they are stored.
        Instant sentFrom = Instant.now().minus(2, ChronoUnit.HOURS);

        CommitProgress progress = topics.progress();
        Map<Integer, Long> start = progress.ends();
        // Dedup's first records run through an unwarmed JIT; they are drained before the clock starts.
        // A dedup runs for days, so the figure is its steady state: after one range of warm-up
        // (about ten seconds here) the compiler still took a third of dedup's CPU during the
        // measured range, and compiled hundreds of methods every five seconds for a minute. After four
        // ranges, the first round was still dedup's slowest in every run (13,100-15,300 rows/s against
        // 17,700-22,400 in the next two): the compiler, with a long queue during the warm-up, had left the
        // code run once per fetch, batch or request at tier 2 or 3, and promoted it during the rounds
        // (JFR, 2026-12-05). After twelve, the first round read 20,330 and its two next 21,001 and 20,972.
        // The warm-up and the measured rounds are one busy source's stream, each range's event times going on
        // from the last one's: what dedup meets in production is a source whose day has long been cut into
        // slices, not one that starts at the original eight buckets. With a source per range, ranges shorter
        // than the ten-second layout refresh were measured on eight buckets throughout, and longer ones grew
        // the layout halfway through.
        Set<LocalDate> uniqueDays = new TreeSet<>();
        for (int range = 0; range < warmUpRanges; range++) {
            List<CollectedEvent> warming = BenchEvents.asSent(uniqueSource, "w" + range, records,
                    BenchEvents.sendingFrom(sentFrom, range, records));
            uniqueDays.addAll(days(warming));
            fill(ctx.kafkaBootstrap(), raw, warming);
        }
        Map<Integer, Long> afterWarmUp = progress.ends();
        ctx.service(MODULE, topics.dedupProperties());
        Drain warmUp = drain(() -> ctx.rssKb(MODULE), progress, start, afterWarmUp, 0, System.nanoTime());

        // Rounds alternate the baseline and dedup, so that load from elsewhere weighs on both alike: measured
        // once each, the baseline alone moved between 5,614 and 28,787 rows/s from run to run (a range of four
        // to six seconds), and the ratio with it. Each phase starts with Cassandra at rest (QuietCassandra),
        // so none pays for the flushes and compactions of the one before.
        List<Double> baselineRates = new ArrayList<>();
        List<Double> floorRates = new ArrayList<>();
        List<Double> uniqueRates = new ArrayList<>();
        List<Double> baselineSteady = new ArrayList<>();
        List<Double> floorSteady = new ArrayList<>();
        List<Double> uniqueSteady = new ArrayList<>();
        long uniqueRows;
        long maxRssKb = warmUp.maxRssKb();
        Map<Integer, Long> before = afterWarmUp;
        // The baseline and the floor are warmed too, on rows of their own, with as many ranges as dedup's warm-up
        // meets: a fresh program's first range ran at a third to a half of its later ones (dedup-service/PERFORMANCE.md,
        // "The baselines warmed as long as dedup"), and until 2026-12-06 they met half a range.
        // The harness's own session: Cassandra's state between phases, and the counts of rows stored.
        List<CollectedEvent> withCopies = BenchEvents.withCopies(copiesSource, "c", records, COPIES, sentFrom);
        long copiesRows;
        Drain copiesDrain;
        CqlSession harness = CassandraSessions.open(ctx.cassandraContact(), Duration.ofSeconds(30));
        try (harness;
             DriverBaseline baseline = DriverProgram.warmed("driver async inserts", ctx.cassandraContact(),
                     s -> new DriverBaseline(s, concurrency), warmUpRanges,
                     i -> BenchEvents.asSent(baselineSource + "-warm-" + i, "bw" + i, records, sentFrom));
             LedgerFloor floor = DriverProgram.warmed("driver making dedup's three requests", ctx.cassandraContact(),
                     s -> new LedgerFloor(s, FLOOR_BATCHES_IN_FLIGHT), warmUpRanges,
                     i -> BenchEvents.asSent(floorSource + "-warm-" + i, "fw" + i, records, sentFrom))) {
            QuietCassandra quiet = QuietCassandra.of(ctx.root(), harness, ctx.cassandraJmxPort());
            // CPU per row of each process in each kind of phase, its flushes and compactions included: where
            // dedup's rows cost more than the floor's.
            ProcessCpu cpu = ProcessCpu.of("bench", Map.of("dedup", ctx.pid(MODULE)));
            if (monthLater) {
                int aged = MonthLater.age(harness, uniqueSource);
                // Dedup re-reads a source's layouts at its first batch after the refresh interval; its last read
                // was in the warm-up, which is over, so from the first round on it claims on the aged layouts.
                Thread.sleep(LAYOUT_REFRESH.plusSeconds(1).toMillis());
                System.out.printf("  dedup: the busy source a month later: %d claim layout decisions moved back by more"
                        + " than the %d-day window%n", aged, LedgerRequests.WINDOW.toDays());
            }
            quiet.settle();
            for (int round = 1; round <= rounds; round++) {
                List<CollectedEvent> plain = BenchEvents.asSent(baselineSource + "-" + round, "b" + round, records, sentFrom);
                List<CollectedEvent> ledger = BenchEvents.asSent(floorSource + "-" + round, "f" + round, records, sentFrom);
                List<CollectedEvent> unique = BenchEvents.asSent(uniqueSource, "u" + round, records,
                        BenchEvents.sendingFrom(sentFrom, warmUpRanges + round - 1, records));
                uniqueDays.addAll(days(unique));
                // The floor places its messages as dedup places the busy source's by now, so that it makes as many
                // requests: its lookups in the claim layouts dedup reads, its rows in minute slices.
                LedgerRequests.Layout layout = LedgerRequests.Layout.recorded(harness, uniqueSource, uniqueDays);
                floor.follow(layout);
                ProcessCpu.Reading atStart = cpu.read();
                Map<String, Long> requestsAtStart = quiet.requests();
                long plainAt = System.currentTimeMillis();
                DriverProgram.Rates plainRates = baseline.rowsPerSecond(plain);
                baselineRates.add(plainRates.whole());
                baselineSteady.add(plainRates.steady());
                long plainEnd = System.currentTimeMillis();
                quiet.settle();
                ProcessCpu.Reading afterBaseline = cpu.read();
                Map<String, Long> requestsAfterBaseline = quiet.requests();
                long floorAt = System.currentTimeMillis();
                DriverProgram.Rates floorRound = floor.rowsPerSecond(ledger);
                floorRates.add(floorRound.whole());
                floorSteady.add(floorRound.steady());
                long floorEnd = System.currentTimeMillis();
                quiet.settle();
                ProcessCpu.Reading afterFloor = cpu.read();
                Map<String, Long> requestsAfterFloor = quiet.requests();
                // Each measured range is written only once the previous one is stored, in one transaction, and
                // timed from its commit: dedup reads committed records only (BenchTopics), so it meets the whole
                // range at once, as a backlog, and neither the bench's producer nor the broker's writes of
                // the range run inside dedup's time. Timed from the start of the writing instead (before
                // 2026-12-05), the producer's 10 µs and much of the broker's 11 µs were in a dedup row's 138 µs
                // of CPU on these two cores: work the baseline's rows, taken from memory, never pay for.
                CommittedRange range = fillCommitted(ctx.kafkaBootstrap(), raw, unique, progress);
                long dedupAt = System.currentTimeMillis();
                ProcessCpu.Reading atCommit = cpu.read();
                Map<Integer, Long> after = range.recordsEnd();
                Drain drained = drain(() -> ctx.rssKb(MODULE), progress, before, after, maxRssKb, range.committingAt());
                long dedupEnd = System.currentTimeMillis();
                quiet.settle();
                ProcessCpu.Reading afterDedup = cpu.read();
                Map<String, Long> requestsAfterDedup = quiet.requests();
                uniqueRates.add(drained.recordsPerSecond());
                uniqueSteady.add(drained.steadyPerSecond());
                maxRssKb = drained.maxRssKb();
                before = range.end();
                System.out.printf("  round %d: driver async inserts %.0f rows/s, driver making dedup's three requests "
                        + "%.0f rows/s, dedup %.0f rows/s (0%% copies)%n", round, baselineRates.get(round - 1),
                        floorRates.get(round - 1), drained.recordsPerSecond());
                System.out.printf("    layouts of the source: claim buckets looked up %s; index %s%n", layout.claimBuckets(),
                        layout.days());
                System.out.printf("    steady (10-90 %% of the rows): driver async inserts %.0f, three requests %.0f, dedup %.0f rows/s%n",
                        plainRates.steady(), floorRound.steady(), drained.steadyPerSecond());
                System.out.printf("    CPU, plain inserts: %s%n    CPU, three requests: %s%n    CPU, dedup: %s%n",
                        ProcessCpu.perItem(atStart, afterBaseline, records, "row"),
                        ProcessCpu.perItem(afterBaseline, afterFloor, records, "row"),
                        ProcessCpu.perItem(atCommit, afterDedup, records, "row"));
                System.out.printf("    Cassandra's local requests per 100 rows, plain inserts: %s%n      three requests: %s%n"
                        + "      dedup: %s%n", QuietCassandra.per100Rows(requestsAtStart, requestsAfterBaseline, records),
                        QuietCassandra.per100Rows(requestsAfterBaseline, requestsAfterFloor, records),
                        QuietCassandra.per100Rows(requestsAfterFloor, requestsAfterDedup, records));
                // Epoch milliseconds, to cut a profile of any process into the phases (e.g. jfr2flame --from/--to).
                System.out.printf("    phases (epoch ms, settling excluded): plain %d-%d, three requests %d-%d, dedup %d-%d%n",
                        plainAt, plainEnd, floorAt, floorEnd, dedupAt, dedupEnd);
            }
            CommittedRange copies = fillCommitted(ctx.kafkaBootstrap(), raw, withCopies, progress);
            copiesDrain = drain(() -> ctx.rssKb(MODULE), progress, before, copies.recordsEnd(), maxRssKb,
                    copies.committingAt());
            System.out.printf("  dedup: %d warm-up records, then %d rounds of %d unique records, then %d with %.0f%% copies%n",
                    warmUpRanges * records, rounds, records, records, COPIES * 100);
            uniqueRows = rows(harness, uniqueSource, uniqueDays);
            copiesRows = rows(harness, copiesSource, days(withCopies));
        }
        long expectedCopiesRows = withCopies.stream().map(CollectedEvent::messageId).distinct().count();
        double uniqueRate = mean(uniqueRates);
        double baselineRate = mean(baselineRates);
        double floorRate = mean(floorRates);
        double copiesRowRate = copiesDrain.recordsPerSecond() * expectedCopiesRows / withCopies.size();

        String baselineName = "driver async inserts rows/s (concurrency " + concurrency + ", mean of " + rounds + ")";
        ctx.report(new Figure(AREA, "rows/s stored, 0% copies (mean of " + rounds + ")", uniqueRate, "rows/s",
                baselineName, baselineRate, "ratio >= 0.9 (issue #20)"));
        // Whether 0.9 of plain inserts is within reach of any dedup keeping its ledger in Cassandra, and
        // what dedup's own code costs beyond the requests it has to make.
        String floorName = "driver making dedup's three requests rows/s (mean of " + rounds + ")";
        ctx.report(new Figure(AREA, floorName, floorRate, "rows/s", baselineName, baselineRate, null));
        ctx.report(new Figure(AREA, "rows/s stored, 0% copies (mean of " + rounds + ")", uniqueRate, "rows/s",
                floorName, floorRate, null));
        // The same, between 10 % and 90 % of each range's rows: without what a range pays once whatever
        // its length (dedup's first fetch, its last batch's linger and commit interval). It was not kept
        // as issue #20's figure: over twelve rounds (2026-12-05) it took 0.0-0.7 s off dedup's range and
        // -0.4-0.7 s off the plain inserts' (whose middle is sometimes slower than their ends), so the
        // steady ratio moved as far from the whole range's as the rounds do from each other.
        String steadyBaseline = "driver async inserts rows/s, steady (mean of " + rounds + ")";
        ctx.report(new Figure(AREA, "rows/s stored, 0% copies, steady (mean of " + rounds + ")", mean(uniqueSteady),
                "rows/s", steadyBaseline, mean(baselineSteady), null));
        ctx.report(new Figure(AREA, "driver making dedup's three requests rows/s, steady (mean of " + rounds + ")",
                mean(floorSteady), "rows/s", steadyBaseline, mean(baselineSteady), null));
        ctx.report(new Figure(AREA, "rows/s stored, 30% copies", copiesRowRate, "rows/s", baselineName, baselineRate,
                null));
        ctx.report(Figure.alone(AREA, "records/s consumed, 30% copies", copiesDrain.recordsPerSecond(),
                "records/s", null));
        ctx.report(new Figure(AREA, "rows found after the run", uniqueRows + copiesRows, "rows",
                "distinct events sent", (double) ((warmUpRanges + rounds) * records + expectedCopiesRows), "ratio = 1"));
        ctx.report(Figure.alone(AREA, "dedup RSS under load (max)", copiesDrain.maxRssKb() / 1024d, "MB", "< 512 MB"));

        double rate = Math.max(10, uniqueRate / 2);
        // The harness runs one ingest for everybody; the probe needs one writing to the topic dedup
        // reads, launched exactly as the harness launches services.
        try (ServiceProcess ingest = ServiceProcess.of(ctx.root(), "ingest-service").properties(List.of(
                "kafka.bootstrap.servers=" + ctx.kafkaBootstrap(),
                "mp.messaging.outgoing.events-raw.topic=" + raw,
                "tidemark.ingest.sources." + latencySource + ".write-keys=" + WRITE_KEY))
                .jvmOptions(ctx.jvmOptions("ingest-service"))
                .log(ctx.root().resolve("bench/target"), "dedup-bench-ingest.log").start()) {
            System.out.printf("  latency: %.0f events/s (half of dedup's 0%%-copies rate) for %s after %s%n",
                    rate, latencyRun, latencyWarmUp);
            LatencyProbe.Result latency = LatencyProbe.run(ingest.uri(""), WRITE_KEY, latencySource,
                    ctx.kafkaBootstrap(), clean, rate, latencyWarmUp, latencyRun, "probe");
            System.out.printf("  latency: %d sent, %d acknowledged, %d seen stored%n", latency.sent(),
                    latency.acked(), latency.stored());
            ctx.report(Figure.alone(AREA, "ingest ack -> row stored p50 @" + Math.round(rate) + "/s",
                    latency.p50Millis(), "ms", null));
            ctx.report(Figure.alone(AREA, "ingest ack -> row stored p99 @" + Math.round(rate) + "/s",
                    latency.p99Millis(), "ms", "< 1000 ms"));
            ctx.report(new Figure(AREA, "events stored of acknowledged (latency run)", latency.stored(),
                    "events", "acknowledged", (double) latency.acked(), "ratio = 1"));
        }
    }

    private static double mean(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    }

    /**
     * A drained range: records over the whole time from {@code writtenAt} to the last commit, the steady
     * rate between 10 % and 90 % of them ({@link SteadyRate}), and the highest RSS seen.
     */
    public record Drain(double recordsPerSecond, double steadyPerSecond, long maxRssKb) {
    }

    /**
     * Waits until the group committed everything between the marks; the rate counts from
     * {@code writtenAt} (System.nanoTime()), when the range began to be written to the topic.
     */
    public static Drain drain(LongSupplier rssKb, CommitProgress progress, Map<Integer, Long> from,
            Map<Integer, Long> to, long rssSoFar, long writtenAt) throws Exception {
        long total = CommitProgress.between(to, from, to);
        long maxRss = rssSoFar;
        SteadyRate steady = new SteadyRate(total);
        Instant deadline = Instant.now().plus(Duration.ofMinutes(10));
        while (Instant.now().isBefore(deadline)) {
            long now = System.nanoTime();
            long done = CommitProgress.between(progress.committed(), from, to);
            steady.sample(now, done);
            maxRss = Math.max(maxRss, rssKb.getAsLong());
            if (done >= total) {
                return new Drain(total / ((now - writtenAt) / 1e9), steady.perSecond(), maxRss);
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("dedup did not drain " + total + " records within 10 minutes");
    }

    static void fill(String bootstrap, String topic, List<CollectedEvent> events) {
        try (KafkaProducer<String, byte[]> producer = filler(bootstrap, Map.of())) {
            send(producer, topic, events);
        }
    }

    private static KafkaProducer<String, byte[]> filler(String bootstrap, Map<String, Object> extra) {
        Map<String, Object> config = new HashMap<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG, 262144,
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4"));
        config.putAll(extra);
        return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }

    private static void send(KafkaProducer<String, byte[]> producer, String topic, List<CollectedEvent> events) {
        for (CollectedEvent event : events) {
            producer.send(new ProducerRecord<>(topic, event.kafkaKey(), EventCodec.encode(event)));
        }
        producer.flush();
    }

    /**
     * A range written in one transaction: {@code committingAt} (System.nanoTime()) just before its commit,
     * {@code recordsEnd} past its last record (what dedup commits up to), {@code end} past its commit marker.
     */
    record CommittedRange(long committingAt, Map<Integer, Long> recordsEnd, Map<Integer, Long> end) {
    }

    /** Writes {@code events} in one transaction, which a read_committed consumer sees only whole, at its commit. */
    static CommittedRange fillCommitted(String bootstrap, String topic, List<CollectedEvent> events,
            CommitProgress progress) throws Exception {
        try (KafkaProducer<String, byte[]> producer = filler(bootstrap,
                Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tidemark-bench-fill-" + topic))) {
            producer.initTransactions();
            producer.beginTransaction();
            send(producer, topic, events);
            // The high watermark, uncommitted records included: the commit marker comes after it.
            Map<Integer, Long> recordsEnd = progress.ends();
            long committingAt = System.nanoTime();
            producer.commitTransaction();
            return new CommittedRange(committingAt, recordsEnd, progress.ends());
        }
    }

    private static Set<LocalDate> days(List<CollectedEvent> events) {
        Set<LocalDate> days = new TreeSet<>();
        events.forEach(e -> days.add(EventIndexLayout.eventDay(e.timestamp())));
        return days;
    }

    /** Rows of {@code source} on {@code days}: the check that nothing was lost or doubled. */
    private static long rows(CqlSession session, String source, Set<LocalDate> days) {
        PreparedStatement countBucket = session.prepare("SELECT COUNT(*) FROM tidemark.events_by_day "
                + "WHERE source = ? AND event_date = ? AND bucket = ?");
        long count = 0;
        for (LocalDate day : days) {
            int buckets = IndexBuckets.toRead(session, source, day);
            for (short bucket = 0; bucket < buckets; bucket++) {
                count += session.execute(countBucket.bind(source, day, bucket)).one().getLong(0);
            }
        }
        return count;
    }
}
