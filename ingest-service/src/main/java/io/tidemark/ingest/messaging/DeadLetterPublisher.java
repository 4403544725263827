package io.tidemark.ingest.messaging;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.tidemark.event.DeadLetterHeaders;
import io.tidemark.kafka.ChannelSender;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Parks events of a batch that were refused on {@code tidemark.events.dead-letter}, as received, with
 * the reason, the field and the source in {@link DeadLetterHeaders}. A batch
 * may hold thousands of bad events, so they go through {@link ChannelSender} like accepted ones.
 */
@ApplicationScoped
public class DeadLetterPublisher {

    static final String ORIGIN = "ingest-service";
    static final String CHANNEL = "events-dead-letter";

    /** One refused event: its record key, the bytes as received, and why. */
    public record Refused(String key, byte[] value, String field, String reason) {
    }

    private final ChannelSender<String, byte[]> sender;
    private final String topic;

    public DeadLetterPublisher(@Channel(CHANNEL) MutinyEmitter<byte[]> declaresTheChannel, KafkaClientService kafka,
            @ConfigProperty(name = "mp.messaging.outgoing.events-dead-letter.topic") String topic) {
        this.sender = new ChannelSender<>(kafka, CHANNEL);
        this.topic = topic;
    }

    public Uni<Void> publishAll(String source, List<Refused> refused) {
        byte[] sourceBytes = source.getBytes(StandardCharsets.UTF_8);
        byte[] origin = ORIGIN.getBytes(StandardCharsets.UTF_8);
        List<ProducerRecord<String, byte[]>> records = refused.stream().map(r -> {
            RecordHeaders headers = new RecordHeaders();
            headers.add(DeadLetterHeaders.REASON, r.reason().getBytes(StandardCharsets.UTF_8));
            headers.add(DeadLetterHeaders.ORIGIN, origin);
            headers.add(DeadLetterHeaders.SOURCE, sourceBytes);
            if (r.field() != null) {
                headers.add(DeadLetterHeaders.FIELD, r.field().getBytes(StandardCharsets.UTF_8));
            }
            return new ProducerRecord<>(topic, null, r.key(), r.value(), headers);
        }).toList();
        return sender.sendAll(records);
    }
}
