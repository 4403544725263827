package io.tidemark.kafka;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sends lists of records through the producer of an outgoing SmallRye Kafka channel, so the
 * channel's producer settings, health and metrics stay SmallRye's. A list goes to the producer as
 * one task on its sending thread and completes when Kafka acknowledged every record, or fails with
 * the first failure: one task and one future per list, instead of one emitter message, one Uni and
 * one thread hop per record, and a large list cannot overflow an emitter buffer.
 *
 * <p>The service must still declare the channel (an injected emitter does), or it has no producer.
 */
public final class ChannelSender<K, V> {

    private final KafkaClientService kafka;
    private final String channel;
    private volatile KafkaProducer<K, V> producer;

    public ChannelSender(KafkaClientService kafka, String channel) {
        this.kafka = kafka;
        this.channel = channel;
    }

    /**
     * Sends every record when subscribed; each subscription sends them all again (with its own
     * acknowledgement count), so a caller's retry is a plain resubscription.
     */
    public Uni<Void> sendAll(List<ProducerRecord<K, V>> records) {
        if (records.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return Uni.createFrom().deferred(() -> send(new AtomicReference<>(records)));
    }

    /**
     * Sends the records on the first subscription and lets go of them as soon as the producer has them,
     * while the returned Uni still waits for their acknowledgement: for a caller that holds many such
     * waits at once and never retries (ingest holds one per request, about 60 KB of records each, and a
     * record kept until its acknowledgement outlives a young collection). A second subscription fails.
     */
    public Uni<Void> sendOnce(List<ProducerRecord<K, V>> records) {
        if (records.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        AtomicReference<List<ProducerRecord<K, V>>> unsent = new AtomicReference<>(records);
        return Uni.createFrom().deferred(() -> {
            List<ProducerRecord<K, V>> taken = unsent.getAndSet(null);
            return taken == null
                    ? Uni.createFrom().failure(new IllegalStateException("these records were already sent"))
                    : send(new AtomicReference<>(taken));
        });
    }

    /** Hands the records over on the sending thread, taking them out of {@code unsent} as it does. */
    private Uni<Void> send(AtomicReference<List<ProducerRecord<K, V>>> unsent) {
        CompletableFuture<Void> acked = new CompletableFuture<>();
        AtomicInteger pending = new AtomicInteger(unsent.get().size());
        return producer().runOnSendingThread(kafkaProducer -> {
            // Each call has its own holder and this task runs once, so the records are always there.
            for (ProducerRecord<K, V> record : unsent.getAndSet(null)) {
                if (acked.isDone()) {
                    return;
                }
                try {
                    kafkaProducer.send(record, (metadata, failure) -> {
                        if (failure != null) {
                            acked.completeExceptionally(failure);
                        } else if (pending.decrementAndGet() == 0) {
                            acked.complete(null);
                        }
                    });
                } catch (RuntimeException e) {
                    // send() throws when the producer's buffer stays full for max.block.ms, or metadata is missing.
                    acked.completeExceptionally(e);
                    return;
                }
            }
        }).chain(() -> Uni.createFrom().completionStage(acked));
    }

    /** Looked up on first use: the connector creates the channel's producer only once the application started. */
    private KafkaProducer<K, V> producer() {
        KafkaProducer<K, V> current = producer;
        if (current == null) {
            current = kafka.getProducer(channel);
            producer = current;
        }
        return current;
    }
}
