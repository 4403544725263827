package io.tidemark.dedup.messaging;

import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.tidemark.dedup.config.DedupConfig;
import io.tidemark.dedup.service.EventDeduplicator;
import io.tidemark.dedup.service.StoreOutcome;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.event.UndecodableEventException;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Consumes {@code tidemark.events.raw} at least once, one polled batch at a time: the batch is
 * acknowledged (and its offsets committed) only after Cassandra acknowledged every write it needs,
 * so a crash means redelivery, never loss. While a batch waits for Cassandra the connector stops
 * fetching (its queue is bounded), which is what keeps memory flat during an outage.
 */
@ApplicationScoped
public class RawEventConsumer {

    private static final Logger LOG = Logger.getLogger(RawEventConsumer.class);

    private final EventDeduplicator deduplicator;
    private final DeadLetterPublisher deadLetters;
    private final DedupConfig config;
    private final MeterRegistry metrics;

    public RawEventConsumer(EventDeduplicator deduplicator, DeadLetterPublisher deadLetters, DedupConfig config,
            MeterRegistry metrics) {
        this.deduplicator = deduplicator;
        this.deadLetters = deadLetters;
        this.config = config;
        this.metrics = metrics;
    }

    @Incoming("events-raw")
    public Uni<Void> consume(ConsumerRecords<String, byte[]> records) {
        List<CollectedEvent> events = new ArrayList<>(records.count());
        Map<CollectedEvent, byte[]> wireForms = new IdentityHashMap<>(records.count());
        List<Uni<Void>> parked = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            try {
                CollectedEvent event = EventCodec.decode(record.value());
                events.add(event);
                wireForms.put(event, record.value());
            } catch (UndecodableEventException e) {
                parked.add(park(record, e));
            }
        }
        Uni<Void> deadLettered = parked.isEmpty() ? Uni.createFrom().voidItem() : Uni.join().all(parked).andFailFast()
                .replaceWithVoid();
        return deadLettered.flatMap(done -> deduplicator.storeAll(events, wireForms)).invoke(this::count).replaceWithVoid();
    }

    private Uni<Void> park(ConsumerRecord<String, byte[]> record, UndecodableEventException e) {
        String origin = record.topic() + "-" + record.partition() + "@" + record.offset();
        LOG.warnf("undecodable record at %s sent to dead letter: %s", origin, e.getMessage());
        metrics.counter("tidemark.dedup.events", "source", "unknown", "outcome", "dead_letter").increment();
        return Uni.createFrom().deferred(() -> deadLetters.publish(record.key(), record.value(), e.getMessage(), origin))
                .onFailure().invoke(failure -> LOG.warnf("dead letter for %s failed, retrying: %s", origin, failure))
                .onFailure().retry().withBackOff(config.retry().initialBackoff(), config.retry().maxBackoff())
                .indefinitely();
    }

    private void count(List<EventDeduplicator.Result> results) {
        Map<List<String>, Integer> counts = new HashMap<>();
        for (EventDeduplicator.Result result : results) {
            CollectedEvent event = result.event();
            counts.merge(List.of(event.source(), result.outcome().name().toLowerCase()), 1, Integer::sum);
            if (result.outcome() != StoreOutcome.STORED) {
                LOG.debugf("messageId=%s source=%s %s", event.messageId(), event.source(), result.outcome());
            }
        }
        counts.forEach((tags, n) -> metrics.counter("tidemark.dedup.events", "source", tags.get(0), "outcome",
                tags.get(1)).increment(n));
    }
}
