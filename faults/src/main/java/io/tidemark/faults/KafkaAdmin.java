package io.tidemark.faults;

import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;

/** The suite's view of the brokers: bounded timeouts, so that a question asked mid-fault cannot hang the run. */
final class KafkaAdmin {

    private KafkaAdmin() {
    }

    static Admin open(String bootstrap) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30000);
        return Admin.create(props);
    }

    /** The node id of the broker that leads most partitions of the raw topic (the lowest id on a tie). */
    static int leaderOfMostRawPartitions(String bootstrap) {
        try (Admin admin = open(bootstrap)) {
            TopicDescription raw = admin.describeTopics(java.util.List.of(ConsumerLag.RAW_TOPIC)).allTopicNames()
                    .get(30, TimeUnit.SECONDS).get(ConsumerLag.RAW_TOPIC);
            Map<Integer, Integer> led = new TreeMap<>();
            for (TopicPartitionInfo partition : raw.partitions()) {
                if (partition.leader() != null) {
                    led.merge(partition.leader().id(), 1, Integer::sum);
                }
            }
            return led.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow(
                    () -> new IllegalStateException(ConsumerLag.RAW_TOPIC + " has no leader")).getKey();
        } catch (Exception e) {
            throw new IllegalStateException("cannot find the leaders of " + ConsumerLag.RAW_TOPIC + ": " + e, e);
        }
    }
}
