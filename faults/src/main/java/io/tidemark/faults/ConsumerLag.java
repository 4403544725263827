package io.tidemark.faults;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/** How many records of the raw topic the consumer groups have not committed yet. */
final class ConsumerLag {

    static final String RAW_TOPIC = "tidemark.events.raw";
    private static final java.time.Duration CLOSE_WITHIN = java.time.Duration.ofSeconds(1);

    private ConsumerLag() {
    }

    /** Sum over every group that committed on the raw topic of (end offset - committed offset); -1 when Kafka cannot tell. */
    static long rawTopicLag(String bootstrap) {
        Admin admin = KafkaAdmin.open(bootstrap);
        try {
            long lag = 0;
            boolean anyGroup = false;
            for (ConsumerGroupListing group : admin.listConsumerGroups().all().get(10, TimeUnit.SECONDS)) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group.groupId())
                        .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS).entrySet().stream()
                        .filter(e -> e.getKey().topic().equals(RAW_TOPIC) && e.getValue() != null)
                        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
                if (committed.isEmpty()) {
                    continue;
                }
                anyGroup = true;
                Map<TopicPartition, OffsetSpec> latest = committed.keySet().stream()
                        .collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest()));
                var ends = admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
                for (var entry : committed.entrySet()) {
                    lag += Math.max(0, ends.get(entry.getKey()).offset() - entry.getValue().offset());
                }
            }
            return anyGroup ? lag : -1;
        } catch (Exception e) {
            return -1;
        } finally {
            // A plain close waits for calls that timed out here to time out in the client too (up to its
            // API timeout, 30 s) while a broker is down, and the sampler then took no sample for that long.
            admin.close(CLOSE_WITHIN);
        }
    }
}
