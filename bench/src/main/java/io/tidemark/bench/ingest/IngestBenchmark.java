package io.tidemark.bench.ingest;

import io.tidemark.bench.BenchContext;
import io.tidemark.bench.Benchmark;
import io.tidemark.bench.Figure;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * {@code POST /v1/batch} of the packaged ingest-service (100 events of about 300 bytes per request, N
 * connections) beside Kafka's own ProducerPerformance with the same record size and acks=all on the
 * same broker; then the web tag's path, {@code POST /v1/t} with one call per request, beside it. Both write to throwaway topics shaped like {@code tidemark.events.raw} (6 partitions),
 * so the shared raw topic and whoever reads it are not flooded.
 */
public final class IngestBenchmark implements Benchmark {

    static final String AREA = "ingest";
    private static final int PARTITIONS = 6;
    private static final int EVENTS_PER_BATCH = 100;
    private static final int EVENT_BYTES = 300;
    private static final String WRITE_KEY = "bench-write-key";
    private static final String MODULE = "ingest-service";
    /** ingest-service's producer settings for tidemark.events.raw (its application.properties). */
    private static final String[] INGEST_PRODUCER_SETTINGS = {
            "enable.idempotence=true", "linger.ms=5", "batch.size=131072", "compression.type=lz4"};

    @Override
    public String name() {
        return AREA;
    }

    @Override
    public void run(BenchContext ctx) throws Exception {
        boolean quick = ctx.shortMode();
        // A service runs for days, so its compiled steady state is what counts. With 15 s of warm-up the first
        // round still ran with ingest's compiler busy (2026-12-03, quiet machine): 113,899 events/s against
        // ProducerPerformance's 226,861, then 211,624 and 243,492 in the next two rounds.
        Duration warmUp = quick ? Duration.ofSeconds(6) : Duration.ofSeconds(60);
        Duration measured = quick ? Duration.ofSeconds(4) : Duration.ofSeconds(20);
        int rounds = quick ? 2 : 3;
        int connections = Integer.getInteger("tidemark.bench.ingest.connections", 64);
        String run = UUID.randomUUID().toString().substring(0, 8);
        String ingestTopic = "tidemark.bench.ingest-" + run;
        String baselineTopic = "tidemark.bench.producer-perf-" + run;

        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, ctx.kafkaBootstrap()))) {
            admin.createTopics(List.of(new NewTopic(ingestTopic, PARTITIONS, (short) 1),
                    new NewTopic(baselineTopic, PARTITIONS, (short) 1))).all().get(30, TimeUnit.SECONDS);
            try {
                URI ingest = ctx.service(MODULE, Map.of(
                        "mp.messaging.outgoing.events-raw.topic", ingestTopic,
                        "tidemark.ingest.sources.bench.write-keys", WRITE_KEY));
                BatchLoad load = BatchLoad.batches(ingest.resolve("/v1/batch"), WRITE_KEY, connections,
                        EVENTS_PER_BATCH, EVENT_BYTES);
                System.out.printf("  ingest: %d connections, batches of %d events of ~%d B, warm-up %s, %d rounds of %s%n",
                        connections, EVENTS_PER_BATCH, load.eventBytes(), warmUp, rounds, measured);
                long acknowledged = load.run(warmUp, Duration.ZERO, () -> ctx.rssKb(MODULE)).acknowledgedEvents();
                List<byte[]> sample = sampleRecords(ctx.kafkaBootstrap(), ingestTopic);
                int recordBytes = (int) (sample.stream().mapToLong(value -> value.length).sum() / sample.size());
                Path ingestRecords = payloadFile(sample);

                // Rounds alternate ingest and the baseline, so that load from elsewhere on the machine
                // weighs on both alike.
                List<BatchLoad.Result> ingestRounds = new ArrayList<>();
                List<ProducerPerformanceRun.Result> baselineRounds = new ArrayList<>();
                List<ProducerPerformanceRun.Result> tunedRounds = new ArrayList<>();
                List<Double> cpuPerEvent = new ArrayList<>();
                for (int round = 1; round <= rounds; round++) {
                    Duration cpuBefore = ctx.cpuUsed(MODULE);
                    BatchLoad.Result result = load.run(Duration.ofSeconds(1), measured, () -> ctx.rssKb(MODULE));
                    cpuPerEvent.add(ctx.cpuUsed(MODULE).minus(cpuBefore).toNanos() / 1e3 / Math.max(1, result.acknowledgedEvents()));
                    ingestRounds.add(result);
                    acknowledged += result.acknowledgedEvents();
                    long records = Math.max(100_000L, Math.round(result.eventsPerSecond() * 1.5 * measured.toSeconds()));
                    System.out.printf("  round %d: ingest %.0f events/s (p99 %.1f ms, %.2f µs of ingest's CPU per event); "
                                    + "ProducerPerformance %d records of %d B, acks=all%n",
                            round, result.eventsPerSecond(), result.p99Millis(), cpuPerEvent.get(round - 1), records, recordBytes);
                    baselineRounds.add(ProducerPerformanceRun.run(ctx.kafkaBootstrap(), baselineTopic, records, recordBytes));
                    tunedRounds.add(ProducerPerformanceRun.runWithPayloads(ctx.kafkaBootstrap(), baselineTopic, records,
                            ingestRecords, INGEST_PRODUCER_SETTINGS));
                }

                double ingestRate = ingestRounds.stream().mapToDouble(BatchLoad.Result::eventsPerSecond).average().orElseThrow();
                double baselineRate = baselineRounds.stream().mapToDouble(ProducerPerformanceRun.Result::recordsPerSecond)
                        .average().orElseThrow();
                ctx.report(new Figure(AREA, "POST /v1/batch events/s", ingestRate, "events/s",
                        "ProducerPerformance records/s (acks=all, " + recordBytes + " B)", baselineRate, "ratio >= 0.8"));
                // The same producer settings as ingest's (lz4, linger, batch size) and ingest's own records
                // from this run: the same bytes compressed the same way, so what is left is the cost of HTTP,
                // JSON and validation. Random bytes of the same size compress far less than ingest's JSON,
                // so the baseline above writes several times more to the broker's disk than ingest does.
                ctx.report(new Figure(AREA, "POST /v1/batch events/s", ingestRate, "events/s",
                        "ProducerPerformance records/s with ingest's producer settings and records",
                        tunedRounds.stream().mapToDouble(ProducerPerformanceRun.Result::recordsPerSecond).average().orElseThrow(),
                        null));
                // Ingest's own CPU for an event: it depends less than a rate on who else used the cores.
                ctx.report(Figure.alone(AREA, "ingest CPU per event (median round)",
                        cpuPerEvent.stream().mapToDouble(Double::doubleValue).sorted().skip(cpuPerEvent.size() / 2).findFirst()
                                .orElseThrow(), "µs", null));
                ctx.report(Figure.alone(AREA, "ack latency p50 (batch of 100)", median(ingestRounds, BatchLoad.Result::p50Millis),
                        "ms", null));
                ctx.report(new Figure(AREA, "ack latency p99 (batch of 100)", median(ingestRounds, BatchLoad.Result::p99Millis),
                        "ms", "ProducerPerformance p99 latency",
                        baselineRounds.stream().mapToDouble(ProducerPerformanceRun.Result::p99Millis).sorted()
                                .skip(baselineRounds.size() / 2).findFirst().orElseThrow(), null));
                ctx.report(Figure.alone(AREA, "ingest RSS under load (max)",
                        ingestRounds.stream().mapToLong(BatchLoad.Result::maxRssKb).max().orElseThrow() / 1024d, "MB",
                        "< 256 MB"));
                // The web tag's path: one call per request, so HTTP per request, not JSON per event, is its cost.
                BatchLoad browser = BatchLoad.browserCalls(ingest.resolve("/v1/t"), WRITE_KEY, connections, EVENT_BYTES);
                acknowledged += browser.run(quick ? Duration.ofSeconds(2) : Duration.ofSeconds(5), Duration.ZERO,
                        () -> ctx.rssKb(MODULE)).acknowledgedEvents();
                BatchLoad.Result browserResult = browser.run(Duration.ofSeconds(1), measured, () -> ctx.rssKb(MODULE));
                acknowledged += browserResult.acknowledgedEvents();
                System.out.printf("  browser path: %.0f events/s (p99 %.1f ms)%n", browserResult.eventsPerSecond(),
                        browserResult.p99Millis());
                ctx.report(new Figure(AREA, "POST /v1/t (web tag) events/s", browserResult.eventsPerSecond(), "events/s",
                        "POST /v1/batch events/s", ingestRate, null));
                ctx.report(Figure.alone(AREA, "ack latency p99 (one web tag call)", browserResult.p99Millis(), "ms", null));

                // Every event answered 200 must be on the topic: a fast ingest that loses events is no ingest.
                long onTopic = recordCount(admin, ingestTopic);
                ctx.report(Figure.alone(AREA, "events answered 200 but not on the topic",
                        Math.max(0, acknowledged - onTopic), "events", "0"));
                ctx.report(Figure.alone(AREA, "non-200 answers",
                        ingestRounds.stream().mapToLong(BatchLoad.Result::failures).sum() + browserResult.failures(),
                        "requests", "0"));
            } finally {
                admin.deleteTopics(List.of(ingestTopic, baselineTopic)).all().get(30, TimeUnit.SECONDS);
            }
        }
    }

    private static double median(List<BatchLoad.Result> results, java.util.function.ToDoubleFunction<BatchLoad.Result> figure) {
        double[] values = results.stream().mapToDouble(figure).sorted().toArray();
        return values[values.length / 2];
    }

    /** Records on a topic: the sum of its partitions' end offsets (the topic is new and never compacted). */
    private static long recordCount(Admin admin, String topic) throws Exception {
        Map<TopicPartition, OffsetSpec> ends = new java.util.HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            ends.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        return admin.listOffsets(ends).all().get(30, TimeUnit.SECONDS).values().stream()
                .mapToLong(ListOffsetsResult.ListOffsetsResultInfo::offset).sum();
    }

    /** Up to 1,000 record values ingest wrote: their mean size, and the payloads of the second baseline. */
    private static List<byte[]> sampleRecords(String bootstrap, String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<byte[]> values = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (values.size() < 1000 && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    values.add(record.value());
                }
            }
            if (values.isEmpty()) {
                throw new IllegalStateException("no record of ingest found on " + topic);
            }
            return values;
        }
    }

    /**
     * The sampled values, one per line, as ProducerPerformance's {@code --payload-file} reads them. Ingest's
     * records are JSON written without line breaks (a newline inside a string is escaped), so a line is a
     * whole record; one that held a raw newline would be cut in two, and is left out.
     */
    private static Path payloadFile(List<byte[]> values) throws IOException {
        Path file = Files.createTempFile("tidemark-bench-ingest-records", ".txt");
        file.toFile().deleteOnExit();
        try (OutputStream out = Files.newOutputStream(file)) {
            for (byte[] value : values) {
                if (indexOf(value, (byte) '\n') < 0) {
                    out.write(value);
                    out.write('\n');
                }
            }
        }
        return file;
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
