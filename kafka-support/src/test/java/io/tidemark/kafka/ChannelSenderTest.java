package io.tidemark.kafka;

import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaProducer;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.ref.Reference;
import java.lang.ref.WeakReference;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A wait that never ends fails the test instead of hanging the build. */
@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ChannelSenderTest {

    /** What the fake broker was handed: only the callbacks, so that it holds no record itself. */
    private final List<Callback> unacknowledged = new ArrayList<>();
    private int sent;
    private final ChannelSender<String, byte[]> sender = new ChannelSender<>(clientOf(fakeProducer()), "events");

    @Test
    void recordsSentOnceAreLetGoWhileTheirAcknowledgementIsAwaited() throws InterruptedException {
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
        records.add(new ProducerRecord<>("events", "key", new byte[1 << 20]));
        WeakReference<byte[]> value = new WeakReference<>(records.get(0).value());
        Uni<Void> waiting = sender.sendOnce(records);
        records = null;

        CompletableFuture<Void> answer = waiting.subscribeAsCompletionStage();
        assertEquals(1, sent);
        for (int attempt = 0; attempt < 50 && value.get() != null; attempt++) {
            System.gc();
            Thread.sleep(10);
        }
        assertTrue(value.get() == null, "the record's value is still reachable while its acknowledgement is awaited");
        assertFalse(answer.isDone());

        acknowledgeAll();
        assertNull(answer.join());
        Reference.reachabilityFence(waiting);
    }

    @Test
    void aSecondSubscriptionOfRecordsSentOnceFailsWithoutSendingThemAgain() {
        Uni<Void> waiting = sender.sendOnce(List.of(new ProducerRecord<>("events", "key", new byte[] {1})));
        CompletableFuture<Void> first = waiting.subscribeAsCompletionStage();
        acknowledgeAll();
        assertNull(first.join());

        CompletionException again = assertThrows(CompletionException.class, () -> waiting.subscribeAsCompletionStage().join());
        assertInstanceOf(IllegalStateException.class, again.getCause());
        assertEquals(1, sent);
    }

    @Test
    void recordsSentWithSendAllAreSentAgainOnEachSubscription() {
        Uni<Void> waiting = sender.sendAll(List.of(new ProducerRecord<>("events", "key", new byte[] {1}),
                new ProducerRecord<>("events", "key", new byte[] {2})));
        CompletableFuture<Void> first = waiting.subscribeAsCompletionStage();
        acknowledgeAll();
        assertNull(first.join());
        CompletableFuture<Void> retry = waiting.subscribeAsCompletionStage();
        assertFalse(retry.isDone());
        acknowledgeAll();
        assertNull(retry.join());
        assertEquals(4, sent);
    }

    private void acknowledgeAll() {
        List<Callback> callbacks = List.copyOf(unacknowledged);
        unacknowledged.clear();
        for (Callback callback : callbacks) {
            callback.onCompletion(new RecordMetadata(new TopicPartition("events", 0), 0, 0, 0, 0, 0), null);
        }
    }

    @SuppressWarnings("unchecked")
    private Producer<String, byte[]> fakeProducer() {
        return (Producer<String, byte[]>) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Producer.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("send") && args.length == 2) {
                        sent++;
                        unacknowledged.add((Callback) args[1]);
                        return new CompletableFuture<RecordMetadata>();
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    /** A channel's producer that runs each task at once on the calling thread. */
    @SuppressWarnings("unchecked")
    private static KafkaClientService clientOf(Producer<String, byte[]> kafka) {
        KafkaProducer<String, byte[]> channelProducer = (KafkaProducer<String, byte[]>) Proxy.newProxyInstance(
                ChannelSenderTest.class.getClassLoader(), new Class<?>[] {KafkaProducer.class}, (proxy, method, args) -> {
                    if (method.getName().equals("runOnSendingThread") && args[0] instanceof Consumer<?> task) {
                        ((Consumer<Producer<String, byte[]>>) task).accept(kafka);
                        return Uni.createFrom().voidItem();
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        return (KafkaClientService) Proxy.newProxyInstance(ChannelSenderTest.class.getClassLoader(),
                new Class<?>[] {KafkaClientService.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getProducer")) {
                        return channelProducer;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
