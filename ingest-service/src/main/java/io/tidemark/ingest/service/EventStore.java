package io.tidemark.ingest.service;

import io.smallrye.mutiny.Uni;
import io.tidemark.event.CollectedEvent;
import io.tidemark.ingest.messaging.DeadLetterPublisher;
import io.tidemark.ingest.messaging.RawEventPublisher;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import io.tidemark.ingest.service.rejection.EventNotStoredException;
import io.tidemark.ingest.service.rejection.ProducerSaturatedException;

/**
 * Hands events to Kafka and completes only once Kafka acknowledged them all, within the ack timeout;
 * refuses at once, without sending, while Kafka is known to be down or too much already waits for it.
 * A client is told "stored" only by this class.
 */
@ApplicationScoped
public class EventStore {

    private static final Logger LOG = Logger.getLogger(EventStore.class);

    private final InFlightLimit inFlight;
    private final AckDeadline deadline;
    private final KafkaOutage outage;
    private final RawEventPublisher publisher;
    private final DeadLetterPublisher deadLetters;
    private final IngestMetrics metrics;

    public EventStore(InFlightLimit inFlight, AckDeadline deadline, KafkaOutage outage, RawEventPublisher publisher,
            DeadLetterPublisher deadLetters, IngestMetrics metrics) {
        this.inFlight = inFlight;
        this.deadline = deadline;
        this.outage = outage;
        this.publisher = publisher;
        this.deadLetters = deadLetters;
        this.metrics = metrics;
    }

    /** Stores the accepted events and parks the refused ones; completes once Kafka holds both. */
    public Uni<Void> store(String source, Channel channel, EventNormalizer.Normalized normalized, long started) {
        Uni<Void> stored = store(source, channel, normalized.accepted(), started);
        if (normalized.refused().isEmpty()) {
            return stored;
        }
        Uni<Void> parked = deadline.bound(Uni.createFrom().deferred(() -> deadLetters.publishAll(source, normalized.refused())))
                .onFailure().transform(EventNotStoredException::new);
        return Uni.join().all(stored, parked).andFailFast().replaceWithVoid();
    }

    /** Sends the events and waits for Kafka's acknowledgement of all of them, within the ack timeout. */
    public Uni<Void> store(String source, Channel channel, List<CollectedEvent> events, long started) {
        if (events.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        int count = events.size();
        try {
            outage.check();
        } catch (EventNotStoredException e) {
            throw metrics.refused(source, count, e);
        }
        // Encoded now, not on subscription: this chain lives until Kafka acknowledges, and holding the
        // events there would keep their JSON trees (several times the encoded records) alive that long.
        // Encoded before room is reserved, because the records' size is what the byte budget counts.
        String firstMessageId = events.get(0).messageId();
        IngestMetrics.Tally tally = metrics.tally(events);
        RawEventPublisher.Encoded encoded = publisher.encode(events);
        long bytes = encoded.bytes();
        try {
            inFlight.acquire(count, bytes);
        } catch (ProducerSaturatedException e) {
            LOG.warnf("source=%s %d events (%d bytes) refused: %s", source, count, bytes, e.getMessage());
            throw metrics.refused(source, count, new EventNotStoredException(e));
        }
        Uni<Void> sending;
        try {
            sending = publisher.send(encoded);
        } catch (RuntimeException e) {
            sending = Uni.createFrom().failure(e);
        }
        return deadline.bound(sending)
                .onTermination().invoke(() -> inFlight.release(count, bytes))
                .onItem().invoke(() -> {
                    outage.succeeded();
                    metrics.accepted(source, channel, tally);
                    metrics.acknowledged(source, Duration.ofNanos(System.nanoTime() - started));
                })
                .onFailure().transform(failure -> {
                    outage.failed();
                    LOG.warnf("source=%s messageId=%s (+%d more) not acknowledged by Kafka: %s", source,
                            firstMessageId, count - 1, failure.toString());
                    return metrics.refused(source, count, new EventNotStoredException(failure));
                });
    }
}
