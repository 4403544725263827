package io.tidemark.bench.dedup;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** Where a consumer group's committed offsets stand on a topic, against marks taken while filling it. */
public final class CommitProgress {

    private final Admin admin;
    private final String topic;
    private final String group;
    private final int partitions;

    CommitProgress(Admin admin, String topic, String group, int partitions) {
        this.admin = admin;
        this.topic = topic;
        this.group = group;
        this.partitions = partitions;
    }

    /** The end offset of every partition now. */
    public Map<Integer, Long> ends() throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        return admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).entrySet().stream()
                .collect(Collectors.toMap(e -> e.getKey().partition(), e -> e.getValue().offset()));
    }

    /** Committed offsets per partition (0 where nothing is committed yet). */
    Map<Integer, Long> committed() throws Exception {
        Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        Map<Integer, Long> committed = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            OffsetAndMetadata done = offsets.get(new TopicPartition(topic, p));
            committed.put(p, done == null ? 0L : done.offset());
        }
        return committed;
    }

    /** Records committed between the marks {@code from} and {@code to} (exclusive ends). */
    static long between(Map<Integer, Long> committed, Map<Integer, Long> from, Map<Integer, Long> to) {
        long total = 0;
        for (Map.Entry<Integer, Long> e : committed.entrySet()) {
            long low = from.getOrDefault(e.getKey(), 0L);
            long high = to.get(e.getKey());
            total += Math.max(0, Math.min(e.getValue(), high) - low);
        }
        return total;
    }
}
