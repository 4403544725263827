package io.tidemark.ingest.messaging;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.kafka.ChannelSender;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;

import java.util.List;

/**
 * Writes accepted events to {@code tidemark.events.raw}; the returned Uni completes when Kafka
 * acknowledged every one of them.
 *
 * <p>The channel is declared through an emitter (so its producer settings, health and metrics are
 * SmallRye's), but records go straight to the channel's producer through {@link ChannelSender}.
 */
@ApplicationScoped
public class RawEventPublisher {

    static final String CHANNEL = "events-raw";

    private final ChannelSender<String, byte[]> sender;
    private final String topic;

    public RawEventPublisher(@Channel(CHANNEL) MutinyEmitter<byte[]> declaresTheChannel, KafkaClientService kafka,
            @ConfigProperty(name = "mp.messaging.outgoing.events-raw.topic") String topic) {
        this.sender = new ChannelSender<>(kafka, CHANNEL);
        this.topic = topic;
    }

    /** Records ready to send, and their size: what stays on the heap until Kafka acknowledges them. */
    public record Encoded(List<ProducerRecord<String, byte[]>> records, long bytes) {
    }

    /**
     * Encodes the events; apart from {@link #send} so that the caller can reserve room for their bytes
     * before anything is sent.
     */
    public Encoded encode(List<CollectedEvent> events) {
        // Encoding is CPU work on the caller's thread; the producer thread only enqueues.
        List<ProducerRecord<String, byte[]>> records = events.stream()
                .map(e -> new ProducerRecord<>(topic, e.kafkaKey(), EventCodec.encode(e))).toList();
        long bytes = 0;
        for (ProducerRecord<String, byte[]> record : records) {
            bytes += record.value().length + (record.key() == null ? 0 : record.key().length());
        }
        return new Encoded(records, bytes);
    }

    /**
     * Sends the records once, then completes once all are acknowledged or fails with the first failure;
     * the records are not kept while Kafka acknowledges them.
     */
    public Uni<Void> send(Encoded encoded) {
        return sender.sendOnce(encoded.records());
    }
}
