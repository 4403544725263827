package io.tidemark.dedup.messaging;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.tidemark.dedup.config.DedupConfig;
import io.tidemark.dedup.service.Delivery;
import io.tidemark.dedup.service.EventDeduplicator;
import io.tidemark.dedup.service.StoreOutcome;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.event.UndecodableEventException;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.reactive.messaging.Acknowledgment;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Consumes {@code tidemark.events.raw} at least once: each raw partition's records go through a
 * {@link PartitionPipeline}, and a record is acknowledged (its offset committed, in order) only
 * after Cassandra acknowledged every write it needs, so a crash means redelivery, never loss.
 * While batches wait for Cassandra the pipeline stops taking records and the connector stops
 * fetching, which is what keeps memory flat during an outage.
 */
@ApplicationScoped
public class RawEventConsumer {

    static final String CHANNEL = "events-raw";

    private static final Logger LOG = Logger.getLogger(RawEventConsumer.class);

    private final EventDeduplicator deduplicator;
    private final DeadLetterPublisher deadLetters;
    private final DedupConfig config;
    private final MeterRegistry metrics;
    private final Timer storedDelay;
    private final Map<TopicPartition, PartitionPipeline<Claimed>> pipelines = new ConcurrentHashMap<>();

    public RawEventConsumer(EventDeduplicator deduplicator, DeadLetterPublisher deadLetters, DedupConfig config,
            MeterRegistry metrics) {
        this.deduplicator = deduplicator;
        this.deadLetters = deadLetters;
        this.config = config;
        this.metrics = metrics;
        // How far behind ingest the stored data is: what a dashboard's freshness depends on. One series
        // for the service, not per source, since a histogram per source would multiply its buckets.
        this.storedDelay = Timer.builder("tidemark.dedup.stored.delay")
                .description("From ingest's receivedAt to the event's row stored and published, newly stored events")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(5))
                .maximumExpectedValue(Duration.ofHours(1))
                .register(metrics);
    }

    /** A batch past its claims: its undecodable records on their way to the dead letter topic. */
    record Claimed(EventDeduplicator.ClaimedBatch events, Uni<Void> deadLettered) {
    }

    /** Completes as soon as the record is buffered; it is acknowledged later, when stored. */
    @Incoming(CHANNEL)
    @Acknowledgment(Acknowledgment.Strategy.MANUAL)
    public Uni<Void> consume(KafkaRecord<String, byte[]> record) {
        return pipelines.computeIfAbsent(new TopicPartition(record.getTopic(), record.getPartition()),
                partition -> new PartitionPipeline<>(config.pipeline(), new PartitionPipeline.Stages<>() {
                    @Override
                    public Uni<Claimed> claim(List<KafkaRecord<String, byte[]>> batch) {
                        return claimBatch(batch);
                    }

                    @Override
                    public Uni<Void> store(Claimed claimed) {
                        return storeBatch(claimed);
                    }
                })).offer(record);
    }

    private Uni<Claimed> claimBatch(List<KafkaRecord<String, byte[]>> records) {
        List<Delivery> deliveries = new ArrayList<>(records.size());
        List<Uni<Void>> parked = new ArrayList<>();
        for (KafkaRecord<String, byte[]> record : records) {
            try {
                deliveries.add(new Delivery(EventCodec.decode(record.getPayload()), record.getPayload(),
                        record.getPartition(), offset(record)));
            } catch (UndecodableEventException e) {
                parked.add(park(record, e));
            }
        }
        Uni<Void> deadLettered = parked.isEmpty() ? Uni.createFrom().voidItem()
                : Uni.join().all(parked).andFailFast().replaceWithVoid().memoize().indefinitely();
        // Dead letters are sent while the claims run; the batch waits for both before it is acknowledged.
        deadLettered.subscribe().with(done -> { }, failure -> { });
        return deduplicator.claim(deliveries).map(claimed -> new Claimed(claimed, deadLettered));
    }

    private static long offset(KafkaRecord<String, byte[]> record) {
        return record.getMetadata(IncomingKafkaRecordMetadata.class).map(IncomingKafkaRecordMetadata::getOffset)
                .orElseThrow(() -> new IllegalStateException("a raw record without its offset"));
    }

    private Uni<Void> storeBatch(Claimed claimed) {
        return deduplicator.store(claimed.events()).invoke(this::count)
                .flatMap(stored -> claimed.deadLettered());
    }

    private Uni<Void> park(KafkaRecord<String, byte[]> record, UndecodableEventException e) {
        String origin = record.getTopic() + "-" + record.getPartition() + "@" + offset(record);
        LOG.warnf("undecodable record at %s sent to dead letter: %s", origin, e.getMessage());
        metrics.counter("tidemark.dedup.events", "source", "unknown", "outcome", "dead_letter").increment();
        return Uni.createFrom().deferred(() -> deadLetters.publish(record.getKey(), record.getPayload(), e.getMessage(), origin))
                .onFailure().invoke(failure -> LOG.warnf("dead letter for %s failed, retrying: %s", origin, failure))
                .onFailure().retry().withBackOff(config.retry().initialBackoff(), config.retry().maxBackoff())
                .indefinitely();
    }

    private void count(List<EventDeduplicator.Result> results) {
        Map<List<String>, Integer> counts = new HashMap<>();
        Instant now = Instant.now();
        for (EventDeduplicator.Result result : results) {
            CollectedEvent event = result.event();
            counts.merge(List.of(event.source(), result.outcome().name().toLowerCase()), 1, Integer::sum);
            // A redelivery (COMPLETED) was received long ago by definition; it would only say how late the retry came.
            if (result.outcome() == StoreOutcome.STORED && event.receivedAt() != null) {
                Duration delay = Duration.between(event.receivedAt(), now);
                // Ingest's clock ahead of this host's: no delay to report rather than a made-up one.
                if (!delay.isNegative()) {
                    storedDelay.record(delay);
                }
            }
            if (result.outcome() != StoreOutcome.STORED) {
                LOG.debugf("messageId=%s source=%s %s", event.messageId(), event.source(), result.outcome());
            }
        }
        counts.forEach((tags, n) -> metrics.counter("tidemark.dedup.events", "source", tags.get(0), "outcome",
                tags.get(1)).increment(n));
    }
}
