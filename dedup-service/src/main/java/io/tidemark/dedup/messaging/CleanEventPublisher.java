package io.tidemark.dedup.messaging;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Publishes each newly stored event to {@code tidemark.events.clean}, keyed like the raw topic, so
 * every downstream consumer sees the deduplicated stream without reading Cassandra.
 */
@ApplicationScoped
public class CleanEventPublisher {

    private final MutinyEmitter<byte[]> emitter;

    public CleanEventPublisher(@Channel("events-clean") MutinyEmitter<byte[]> emitter) {
        this.emitter = emitter;
    }

    /**
     * Completes once Kafka acknowledged the record; each subscription sends it again, for retries.
     * {@code wireForm} is the raw record's value when it already says exactly what was stored (the
     * usual case), which spares encoding the event again; null to encode {@code stored}.
     */
    public Uni<Void> publish(CollectedEvent stored, byte[] wireForm) {
        return Uni.createFrom().deferred(() -> emitter.sendMessage(
                Message.of(wireForm != null ? wireForm : EventCodec.encode(stored))
                        .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(stored.kafkaKey()).build())));
    }
}
