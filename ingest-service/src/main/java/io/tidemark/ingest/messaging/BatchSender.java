package io.tidemark.ingest.messaging;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hands a list of records to a channel's producer as one task on its sending thread and completes
 * when Kafka acknowledged all of them, or fails with the first failure. One task and one future per
 * request, instead of one buffered emitter message per record, so a large batch cannot overflow an
 * emitter buffer and costs little per record.
 */
final class BatchSender {

    private BatchSender() {
    }

    static <K, V> Uni<Void> sendAll(KafkaProducer<K, V> producer, List<ProducerRecord<K, V>> records) {
        if (records.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        CompletableFuture<Void> acked = new CompletableFuture<>();
        AtomicInteger pending = new AtomicInteger(records.size());
        return producer.runOnSendingThread(kafkaProducer -> {
            for (ProducerRecord<K, V> record : records) {
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
}
