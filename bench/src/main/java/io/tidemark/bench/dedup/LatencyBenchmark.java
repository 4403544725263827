package io.tidemark.bench.dedup;

import io.tidemark.bench.BenchContext;
import io.tidemark.bench.Benchmark;
import io.tidemark.bench.Figure;
import io.tidemark.testsupport.ServiceProcess;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Latency as a curve: with ingest, dedup, Kafka and Cassandra sharing this machine, the offered rate
 * steps up in tenths of dedup's standalone rate (measured first, in the same run: the median of three
 * drains of a filled topic), and each step prints p50/p99 from ingest's acknowledgement to the row stored. The
 * figure is the highest step whose p99 stayed under 500 ms, against dedup's standalone rate.
 *
 * <p>Its own ingest and dedup, on topics of their own, so that it measures the same whether or not
 * the other benchmarks ran before it in this run.
 */
public final class LatencyBenchmark implements Benchmark {

    static final String AREA = "latency";
    private static final String WRITE_KEY = "bench-latency-write-key";
    private static final double P99_LIMIT_MILLIS = 500;
    /** Past this p99 the pipeline is saturated: higher steps only grow the backlog. */
    private static final double SATURATED_MILLIS = 5_000;
    /**
     * Drains measured for dedup's standalone rate, whose median is the curve's unit: one drain read
     * 5,389 to 10,905 rows/s in eight runs of one build on a quiet machine (2026-12-03), and every
     * step's rate, so the reported ratio, moved with it.
     */
    private static final int STANDALONE_DRAINS = 3;
    /** The path's warm-up rate: the middle of the curve, where every step's code is already used. */
    private static final double PATH_WARM_UP_FRACTION = 0.4;

    @Override
    public String name() {
        return AREA;
    }

    @Override
    public void run(BenchContext ctx) throws Exception {
        boolean quick = ctx.shortMode();
        int records = quick ? 20_000 : 100_000;
        int warmUpRanges = quick ? 1 : 3;
        List<Double> fractions = quick ? List.of(0.2, 0.4, 0.6)
                : List.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0);
        Duration pathWarmUp = quick ? Duration.ofSeconds(10) : Duration.ofSeconds(60);
        Duration stepWarmUp = quick ? Duration.ofSeconds(2) : Duration.ofSeconds(5);
        Duration step = quick ? Duration.ofSeconds(6) : Duration.ofSeconds(20);
        // Two hours ago, as in the dedup benchmark: a stream's rows are in the past by the time they are stored.
        Instant sentFrom = Instant.now().minus(2, ChronoUnit.HOURS);

        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, ctx.kafkaBootstrap()));
             BenchTopics topics = BenchTopics.create(admin, AREA)) {
            String run = topics.run;
            String raw = topics.raw;
            String clean = topics.clean;
            String source = "bench-latency-curve-" + run;
            List<String> dedupProps = new ArrayList<>(List.of("kafka.bootstrap.servers=" + ctx.kafkaBootstrap(),
                    "quarkus.cassandra.contact-points=" + ctx.cassandraContact()));
            topics.dedupProperties().forEach((key, value) -> dedupProps.add(key + "=" + value));
            List<String> ingestProps = new ArrayList<>(List.of("kafka.bootstrap.servers=" + ctx.kafkaBootstrap()));
            ingestProps.addAll(List.of("mp.messaging.outgoing.events-raw.topic=" + raw,
                    "tidemark.ingest.sources." + source + ".write-keys=" + WRITE_KEY));
            try (ServiceProcess dedup = ServiceProcess.of(ctx.root(), "dedup-service").properties(dedupProps)
                    .jvmOptions(ctx.jvmOptions("dedup-service"))
                    .log(ctx.root().resolve("bench/target"), "latency-bench-dedup.log").start();
                 ServiceProcess ingest = ServiceProcess.of(ctx.root(), "ingest-service").properties(ingestProps)
                    .jvmOptions(ctx.jvmOptions("ingest-service"))
                    .log(ctx.root().resolve("bench/target"), "latency-bench-ingest.log").start()) {
                double standalone = standaloneRate(ctx, topics, dedup, records, warmUpRanges, sentFrom);
                System.out.printf("  latency: dedup alone drains %.0f rows/s; stepping the offered rate up in tenths of it%n",
                        standalone);
                // Steady state, as services that run for days see it: a profile of the first steps showed the
                // compiler taking 40 % of a fresh ingest's CPU, 30 % of this probe's and 25 % of Kafka's at a
                // tenth of the rate, whose few requests take minutes to make their paths hot. So the whole path
                // (this probe, ingest, Kafka, dedup and Cassandra) first carries a load of its own, at a rate
                // between the steps', ramped up; its windows are printed, its figures count nowhere.
                LatencyProbe.Result warm = LatencyProbe.run(ingest.uri(""), WRITE_KEY, source, ctx.kafkaBootstrap(), clean,
                        standalone * PATH_WARM_UP_FRACTION, pathWarmUp, stepWarmUp, "warm");
                System.out.printf("  latency: path warm-up at %.0f events/s: %d sent, %d acknowledged, %d seen stored%n",
                        standalone * PATH_WARM_UP_FRACTION, warm.sent(), warm.acked(), warm.stored());
                ProcessCpu cpu = ProcessCpu.of(ingest, dedup);
                double best = 0;
                // The curve is not monotonic on a shared machine (a step can miss and the next pass), so the figure
                // is also given by the stricter reading: the highest rate up to which every step passed.
                double everyStepBelow = 0;
                boolean allPassed = true;
                for (double fraction : fractions) {
                    double rate = Math.max(10, standalone * fraction);
                    ServiceHistogram ackedBefore = ServiceHistogram.read(ingest, ServiceHistogram.INGEST_ACK);
                    ServiceHistogram storedBefore = ServiceHistogram.read(dedup, ServiceHistogram.DEDUP_STORED);
                    List<ServiceHistogram> partsBefore = dedupParts(dedup);
                    ProcessCpu.Reading cpuBefore = cpu.read();
                    LatencyProbe.Result result = LatencyProbe.run(ingest.uri(""), WRITE_KEY, source,
                            ctx.kafkaBootstrap(), clean, rate, stepWarmUp, step, "step" + Math.round(fraction * 100));
                    ProcessCpu.Reading cpuAfter = cpu.read();
                    boolean complete = result.stored() == result.acked() && result.acked() == result.sent();
                    System.out.printf("  latency: step %.0f%% = %.0f events/s: p50 %.0f ms, p99 %.0f ms, max %.0f ms;"
                                    + " %d sent, %d acknowledged, %d seen stored%n", fraction * 100, rate,
                            result.p50Millis(), result.p99Millis(), result.maxMillis(), result.sent(), result.acked(),
                            result.stored());
                    ServiceHistogram ackedAfter = ServiceHistogram.read(ingest, ServiceHistogram.INGEST_ACK);
                    ServiceHistogram storedAfter = ServiceHistogram.read(dedup, ServiceHistogram.DEDUP_STORED);
                    // The services' own histograms (bucket bounds, warm-up included: they cannot tell the
                    // probe's phases apart): ingest's receipt to Kafka's ack, and the same receipt to the row stored.
                    System.out.printf("  latency: step %.0f%%, services' own histograms: received -> Kafka ack p50 <= %.0f ms,"
                                    + " p99 <= %.0f ms (ingest, per request); received -> stored p50 <= %.0f ms, p99 <= %.0f ms"
                                    + " (dedup, per event)%n", fraction * 100,
                            ackedAfter.quantileMillisSince(ackedBefore, 0.50), ackedAfter.quantileMillisSince(ackedBefore, 0.99),
                            storedAfter.quantileMillisSince(storedBefore, 0.50), storedAfter.quantileMillisSince(storedBefore, 0.99));
                    // Per event, to set beside the standalone drain's (two cores over its rows/s): small batches
                    // and fixed costs (compilers, idle spinning, polling) weigh more at low rates.
                    System.out.printf("  latency: step %.0f%%, CPU in %% of one core: %s; %.0f µs per event acknowledged%n",
                            fraction * 100, ProcessCpu.between(cpuBefore, cpuAfter),
                            ProcessCpu.total(cpuBefore, cpuAfter).toNanos() / 1e3 / Math.max(1, result.acked()));
                    printDedupParts(fraction, partsBefore, dedupParts(dedup));
                    ctx.report(Figure.alone(AREA, "p99 ack -> stored @" + Math.round(rate) + "/s", result.p99Millis(),
                            "ms", null));
                    if (complete && result.p99Millis() < P99_LIMIT_MILLIS) {
                        best = rate;
                        everyStepBelow = allPassed ? rate : everyStepBelow;
                    } else {
                        allPassed = false;
                    }
                    if (!complete || result.p99Millis() > SATURATED_MILLIS) {
                        System.out.println("  latency: saturated; no higher step");
                        break;
                    }
                }
                ctx.report(new Figure(AREA, "highest rate with p99 < 500 ms", best, "events/s",
                        "dedup standalone rows/s", standalone, "ratio >= 0.5"));
                ctx.report(new Figure(AREA, "highest rate with p99 < 500 ms there and at every step below",
                        everyStepBelow, "events/s", "dedup standalone rows/s", standalone, "ratio >= 0.5"));
                ctx.report(Figure.alone(AREA, "ingest RSS after the ramp", ingest.rssKb() / 1024d, "MB", null));
                ctx.report(Figure.alone(AREA, "dedup RSS after the ramp", dedup.rssKb() / 1024d, "MB", null));
            }
        }
    }

    private static final List<String> DEDUP_PARTS = List.of(ServiceHistogram.DEDUP_FETCH,
            ServiceHistogram.DEDUP_BATCH_AGE, ServiceHistogram.DEDUP_CLAIM, ServiceHistogram.DEDUP_STORE);

    private static List<ServiceHistogram> dedupParts(ServiceProcess dedup) throws Exception {
        List<ServiceHistogram> parts = new ArrayList<>();
        for (String series : DEDUP_PARTS) {
            parts.add(ServiceHistogram.read(dedup, series));
        }
        return parts;
    }

    /** Where dedup's share of a step went: Kafka's delivery, a batch's wait to be cut, its claim and store stages. */
    private static void printDedupParts(double fraction, List<ServiceHistogram> before, List<ServiceHistogram> after) {
        String[] labels = {"Kafka timestamp -> taken", "-> batch claimed (oldest record)", "claim stage (per batch)",
                "store stage (per batch)"};
        StringBuilder line = new StringBuilder(String.format("  latency: step %.0f%%, dedup's parts, p50 / p99 <= ms:",
                fraction * 100));
        for (int i = 0; i < labels.length; i++) {
            line.append(String.format(" %s %.0f / %.0f;", labels[i], after.get(i).quantileMillisSince(before.get(i), 0.50),
                    after.get(i).quantileMillisSince(before.get(i), 0.99)));
        }
        System.out.println(line.substring(0, line.length() - 1));
    }

    /** Dedup draining a filled raw topic alone, after warm-up ranges, as in the dedup benchmark. */
    private static double standaloneRate(BenchContext ctx, BenchTopics topics, ServiceProcess dedup, int records,
            int warmUpRanges, Instant sentFrom) throws Exception {
        String raw = topics.raw;
        String run = topics.run;
        CommitProgress progress = topics.progress();
        Map<Integer, Long> start = progress.ends();
        // One busy source's stream, as in the dedup benchmark and as the curve's own source becomes within
        // seconds of its warm-up: its layouts grow during these ranges, so the drains are measured on the
        // minute slices and claim buckets a busy source has, not on a new source's original eight buckets.
        String source = "bench-latency-alone-" + run;
        for (int range = 0; range < warmUpRanges; range++) {
            DedupBenchmark.fill(ctx.kafkaBootstrap(), raw, BenchEvents.asSent(source, "lw" + range, records,
                    BenchEvents.sendingFrom(sentFrom, range, records)));
        }
        Map<Integer, Long> from = progress.ends();
        DedupBenchmark.drain(dedup::rssKb, progress, start, from, 0, System.nanoTime());
        List<Double> rates = new ArrayList<>();
        for (int drain = 0; drain < STANDALONE_DRAINS; drain++) {
            long written = System.nanoTime();
            DedupBenchmark.fill(ctx.kafkaBootstrap(), raw, BenchEvents.asSent(source, "la" + drain, records,
                    BenchEvents.sendingFrom(sentFrom, warmUpRanges + drain, records)));
            Map<Integer, Long> to = progress.ends();
            rates.add(DedupBenchmark.drain(dedup::rssKb, progress, from, to, 0, written).recordsPerSecond());
            from = to;
        }
        System.out.printf("  latency: dedup alone, %d drains of %d records: %s rows/s; the median counts%n",
                STANDALONE_DRAINS, records, rates.stream().map(r -> String.format("%.0f", r)).toList());
        return rates.stream().sorted().toList().get(STANDALONE_DRAINS / 2);
    }
}
