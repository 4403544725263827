package io.tidemark.bench.dedup;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A raw and a clean topic and a dedup consumer group of one benchmark run, created on open and
 * deleted on close, so that a benchmark measures the same whether or not others ran before it.
 */
public final class BenchTopics implements AutoCloseable {

    static final int PARTITIONS = 6;

    private final Admin admin;
    final String run;
    public final String raw;
    final String clean;
    final String group;

    private BenchTopics(Admin admin, String area) {
        this.admin = admin;
        this.run = UUID.randomUUID().toString().substring(0, 8);
        this.raw = "tidemark.bench." + area + "-raw-" + run;
        this.clean = "tidemark.bench." + area + "-clean-" + run;
        this.group = "tidemark-bench-" + area + "-" + run;
    }

    public static BenchTopics create(Admin admin, String area) throws Exception {
        BenchTopics topics = new BenchTopics(admin, area);
        admin.createTopics(List.of(new NewTopic(topics.raw, PARTITIONS, (short) 1),
                new NewTopic(topics.clean, PARTITIONS, (short) 1))).all().get(30, TimeUnit.SECONDS);
        topics.awaitLeaders();
        return topics;
    }

    /**
     * Waits until the broker answers for every partition: the controller acknowledges a new topic before the
     * broker has its metadata, and a full run (2026-12-04 14:48) lost its dedup figures to the offsets asked
     * for at once ({@code UnknownTopicOrPartitionException}).
     */
    private void awaitLeaders() throws Exception {
        Map<TopicPartition, OffsetSpec> every = new HashMap<>();
        for (String topic : List.of(raw, clean)) {
            for (int p = 0; p < PARTITIONS; p++) {
                every.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                admin.listOffsets(every).all().get(30, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RetriableException) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    /**
     * What points a dedup at these topics, committing often so that a drain is seen soon after it ends. It
     * reads committed records only, so that a range written in a transaction reaches it whole
     * ({@code DedupBenchmark.fillCommitted}); records written without one, as ingest writes them, it reads
     * as before.
     */
    public Map<String, String> dedupProperties() {
        return Map.of("mp.messaging.incoming.events-raw.topic", raw,
                "mp.messaging.incoming.events-raw.group.id", group,
                "mp.messaging.incoming.events-raw.auto.commit.interval.ms", "200",
                "mp.messaging.incoming.events-raw.isolation.level", "read_committed",
                "mp.messaging.outgoing.events-clean.topic", clean);
    }

    public CommitProgress progress() {
        return new CommitProgress(admin, raw, group, PARTITIONS);
    }

    @Override
    public void close() throws Exception {
        admin.deleteTopics(List.of(raw, clean)).all().get(30, TimeUnit.SECONDS);
    }
}
