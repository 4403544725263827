package io.tidemark.local;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates the topics of topics.properties; a topic that exists already is left as it is. */
final class TopicCreator {

    private final String bootstrap;
    private final short replicationFactor;
    private final int minInSyncReplicas;
    private final Duration timeout;

    TopicCreator(String bootstrap, short replicationFactor, int minInSyncReplicas, Duration timeout) {
        this.bootstrap = bootstrap;
        this.replicationFactor = replicationFactor;
        this.minInSyncReplicas = minInSyncReplicas;
        this.timeout = timeout;
    }

    /** One line per topic: created, or already there (with a warning when its partition count differs). */
    List<String> apply(List<TopicPlan.Topic> topics) {
        List<String> report = new ArrayList<>();
        try (Admin admin = KafkaEndpoint.admin(bootstrap, timeout)) {
            // Named on the topic as well as the brokers' default: whoever inspects it sees the guarantee.
            List<NewTopic> wanted = topics.stream()
                    .map(t -> new NewTopic(t.name(), t.partitions(), replicationFactor)
                            .configs(Map.of("min.insync.replicas", Integer.toString(minInSyncReplicas))))
                    .toList();
            Map<String, KafkaFuture<Void>> created = admin.createTopics(wanted).values();
            List<TopicPlan.Topic> existing = new ArrayList<>();
            for (TopicPlan.Topic topic : topics) {
                try {
                    created.get(topic.name()).get();
                    report.add(topic.name() + ": created with " + topic.partitions() + " partition(s), " + replicationFactor
                            + " replica(s), min.insync.replicas " + minInSyncReplicas);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new StackException("cannot create topic " + topic.name() + ": " + e.getCause().getMessage(), e);
                    }
                    existing.add(topic);
                }
            }
            if (!existing.isEmpty()) {
                Map<String, TopicDescription> described = admin.describeTopics(
                        existing.stream().map(TopicPlan.Topic::name).collect(Collectors.toList())).allTopicNames().get();
                for (TopicPlan.Topic topic : existing) {
                    int actual = described.get(topic.name()).partitions().size();
                    report.add(actual == topic.partitions()
                            ? topic.name() + ": exists with " + actual + " partition(s)"
                            : topic.name() + ": exists with " + actual + " partition(s), WARNING: topics.properties asks for "
                              + topic.partitions() + "; delete the topic (or .tidemark-local/data) to recreate it");
                }
            }
        } catch (ExecutionException e) {
            throw new StackException("cannot describe topics: " + e.getCause().getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted", e);
        }
        return report;
    }
}
