package io.tidemark.dedup.messaging;

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

import java.util.ArrayList;
import java.util.List;

/**
 * Publishes each newly stored event to {@code tidemark.events.clean}, keyed like the raw topic, so
 * every downstream consumer sees the deduplicated stream without reading Cassandra. The channel is
 * declared through an emitter (its producer settings, health and metrics are SmallRye's); a row
 * batch's records go to its producer at once through {@link ChannelSender}.
 */
@ApplicationScoped
public class CleanEventPublisher {

    static final String CHANNEL = "events-clean";

    private final ChannelSender<String, byte[]> sender;
    private final String topic;

    public CleanEventPublisher(@Channel(CHANNEL) MutinyEmitter<byte[]> declaresTheChannel, KafkaClientService kafka,
            @ConfigProperty(name = "mp.messaging.outgoing.events-clean.topic") String topic) {
        this.sender = new ChannelSender<>(kafka, CHANNEL);
        this.topic = topic;
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
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>(publications.size());
        for (Publication p : publications) {
            byte[] value = p.wireForm() != null ? p.wireForm() : EventCodec.encode(p.stored());
            records.add(new ProducerRecord<>(topic, p.stored().kafkaKey(), value));
        }
        return sender.sendAll(records);
    }
}
