package io.tidemark.dedup.messaging;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.tidemark.event.DeadLetterHeaders;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.nio.charset.StandardCharsets;

/** Parks records that cannot be stored on {@code tidemark.events.dead-letter}, with the reason in a header. */
@ApplicationScoped
public class DeadLetterPublisher {

    private final MutinyEmitter<byte[]> emitter;

    public DeadLetterPublisher(@Channel("events-dead-letter") MutinyEmitter<byte[]> emitter) {
        this.emitter = emitter;
    }

    public Uni<Void> publish(String key, byte[] value, String reason, String origin) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(DeadLetterHeaders.REASON, reason.getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetterHeaders.ORIGIN, origin.getBytes(StandardCharsets.UTF_8));
        Message<byte[]> message = Message.of(value == null ? new byte[0] : value).addMetadata(
                OutgoingKafkaRecordMetadata.<String>builder().withKey(key).withHeaders(headers).build());
        return emitter.sendMessage(message);
    }
}
