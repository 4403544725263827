package io.tidemark.ingest.messaging;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

/** Writes accepted events to {@code tidemark.events.raw}; the returned Uni completes when Kafka acknowledged. */
@ApplicationScoped
public class RawEventPublisher {

    private final MutinyEmitter<byte[]> emitter;

    public RawEventPublisher(@Channel("events-raw") MutinyEmitter<byte[]> emitter) {
        this.emitter = emitter;
    }

    public Uni<Void> publish(CollectedEvent event) {
        Message<byte[]> message = Message.of(EventCodec.encode(event))
                .addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(event.kafkaKey()).build());
        return emitter.sendMessage(message);
    }
}
