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
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Consumes {@code tidemark.events.raw} at least once: a record is acknowledged (and its offset
 * committed) only after Cassandra acknowledged its writes, so a crash means redelivery, never loss.
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
    public Uni<Void> consume(ConsumerRecord<String, byte[]> record) {
        CollectedEvent event;
        try {
            event = EventCodec.decode(record.value());
        } catch (UndecodableEventException e) {
            LOG.warnf("undecodable record at %s-%d@%d sent to dead letter: %s", record.topic(), record.partition(),
                    record.offset(), e.getMessage());
            metrics.counter("tidemark.dedup.events", "outcome", "dead_letter").increment();
            return deadLetters.publish(record.key(), record.value(), e.getMessage(),
                    record.topic() + "-" + record.partition() + "@" + record.offset());
        }
        // Cassandra being away is not the event's fault: keep retrying and hold the offset meanwhile.
        return deduplicator.store(event)
                .onFailure().invoke(failure -> LOG.warnf("messageId=%s source=%s store failed, retrying: %s",
                        event.messageId(), event.source(), failure.toString()))
                .onFailure().retry().withBackOff(config.retry().initialBackoff(), config.retry().maxBackoff())
                .indefinitely()
                .invoke(outcome -> count(event, outcome))
                .replaceWithVoid();
    }

    private void count(CollectedEvent event, StoreOutcome outcome) {
        metrics.counter("tidemark.dedup.events", "source", event.source(), "outcome", outcome.name().toLowerCase())
                .increment();
        if (outcome != StoreOutcome.STORED) {
            LOG.debugf("messageId=%s source=%s %s", event.messageId(), event.source(), outcome);
        }
    }
}
