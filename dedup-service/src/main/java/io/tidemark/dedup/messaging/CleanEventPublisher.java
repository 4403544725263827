package io.tidemark.dedup.messaging;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.util.ArrayList;
import java.util.List;

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
     * An event to publish as stored. {@code wireForm} is the raw record's value when it already says
     * exactly what was stored (the usual case), which spares encoding the event again; null to
     * encode {@code stored}.
     */
    public record Publication(CollectedEvent stored, byte[] wireForm) {
    }

    /**
     * Sends the events and completes once Kafka acknowledged all of them; each subscription sends
     * them all again, for retries (the clean topic is at least once).
     */
    public Uni<Void> publishAll(List<Publication> publications) {
        return Uni.createFrom().deferred(() -> {
            List<Uni<Void>> sent = new ArrayList<>(publications.size());
            for (Publication p : publications) {
                sent.add(emitter.sendMessage(Message.of(p.wireForm() != null ? p.wireForm() : EventCodec.encode(p.stored()))
                        .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(p.stored().kafkaKey()).build())));
            }
            return Uni.join().all(sent).andCollectFailures().replaceWithVoid();
        });
    }
}
