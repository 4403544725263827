package io.tidemark.dedup.messaging;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.tidemark.dedup.config.DedupConfig;
import io.tidemark.dedup.service.Delivery;
import io.tidemark.dedup.service.EventDeduplicator;
import io.tidemark.dedup.service.StoreOutcome;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventCodec;
import io.tidemark.event.UndecodableEventException;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.reactive.messaging.Acknowledgment;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Consumes {@code tidemark.events.raw} at least once: each raw partition's records go through a
 * {@link PartitionPipeline}, and a record is acknowledged (its offset committed, in order) only
 * after Cassandra acknowledged every write it needs, so a crash means redelivery, never loss.
 * While batches wait for Cassandra the pipeline stops taking records and the connector stops
 * fetching, which is what keeps memory flat during an outage.
 */
@ApplicationScoped
public class RawEventConsumer {

    static final String CHANNEL = "events-raw";

    private static final Logger LOG = Logger.getLogger(RawEventConsumer.class);

    private final EventDeduplicator deduplicator;
    private final DeadLetterPublisher deadLetters;
    private final DedupConfig config;
    private final MeterRegistry metrics;
    private final Timer storedDelay;
    private final Timer fetchDelay;
    private final Timer batchAge;
    private final Timer claimTime;
    private final Timer storeTime;
    private final Map<TopicPartition, PartitionPipeline<Claimed>> pipelines = new ConcurrentHashMap<>();
    /** False once the instance is stopping: records handed over after that are left to the next owner. */
    private volatile boolean taking = true;
    /** Calls of {@link #consume} under way, so a drain cannot miss a record about to be offered. */
    private final AtomicInteger entering = new AtomicInteger();
    private volatile long lastTakenNanos = System.nanoTime();

    public RawEventConsumer(EventDeduplicator deduplicator, DeadLetterPublisher deadLetters, DedupConfig config,
            MeterRegistry metrics) {
        this.deduplicator = deduplicator;
        this.deadLetters = deadLetters;
        this.config = config;
        this.metrics = metrics;
        // How far behind ingest the stored data is: what a dashboard's freshness depends on. One series
        // for the service, not per source, since a histogram per source would multiply its buckets.
        this.storedDelay = latency("tidemark.dedup.stored.delay",
                "From ingest's receivedAt to the event's row stored and published, newly stored events");
        // Where that delay goes, in the order a record meets it: Kafka's delivery, the wait for its batch
        // to be cut, then the batch's two stages. The Kafka timestamp is set by ingest's producer when it
        // sends the record, so the first two read another host's clock, like the delay above.
        this.fetchDelay = latency("tidemark.dedup.fetch.delay",
                "From a raw record's Kafka timestamp to dedup taking it from the consumer");
        this.batchAge = latency("tidemark.dedup.batch.age",
                "From the Kafka timestamp of a batch's oldest record to the batch's claims starting");
        this.claimTime = stage("claim");
        this.storeTime = stage("store");
    }

    private Timer stage(String stage) {
        return Timer.builder("tidemark.dedup.batch.stage").tag("stage", stage)
                .description("Time a batch spends in a stage: claim (ledger lookup and claims) or store (rows, marks, clean topic)")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(10)).register(metrics);
    }

    private Timer latency(String name, String description) {
        return Timer.builder(name).description(description).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofHours(1)).register(metrics);
    }

    /** A batch past its claims: its undecodable records on their way to the dead letter topic. */
    record Claimed(EventDeduplicator.ClaimedBatch events, Uni<Void> deadLettered) {
    }

    /**
     * Completes as soon as the record is buffered; it is acknowledged later, when stored.
     *
     * <p>Declared as a {@code Message<byte[]>}, not the {@code KafkaRecord<String, byte[]>} it is:
     * SmallRye takes a parameter's first type argument for the payload type, which for a KafkaRecord is
     * the key. With {@code String} there, every record's {@code byte[]} payload went through a search for
     * a converter to String that found none, a CDI lookup and sort per record (4.7 % of what dedup
     * allocated under bench/run dedup).
     */
    @Incoming(CHANNEL)
    @Acknowledgment(Acknowledgment.Strategy.MANUAL)
    public Uni<Void> consume(Message<byte[]> message) {
        KafkaRecord<String, byte[]> record = kafkaRecord(message);
        entering.incrementAndGet();
        try {
            if (!taking) {
                // Never acknowledged, so never committed: the partition's next owner gets it again.
                return Uni.createFrom().voidItem();
            }
            lastTakenNanos = System.nanoTime();
            recordSince(fetchDelay, record.getTimestamp());
            TopicPartition partition = new TopicPartition(record.getTopic(), record.getPartition());
            return pipeline(partition).offer(record, offset(record));
        } finally {
            entering.decrementAndGet();
        }
    }

    @SuppressWarnings("unchecked")
    private static KafkaRecord<String, byte[]> kafkaRecord(Message<byte[]> message) {
        if (message instanceof KafkaRecord<?, ?> record) {
            // The channel's connector is Kafka with a String key deserializer (application.properties).
            return (KafkaRecord<String, byte[]>) record;
        }
        throw new IllegalStateException("channel " + CHANNEL + " delivered a " + message.getClass().getName()
                + ", not a Kafka record");
    }

    /**
     * Stops taking records, for a stop: the connector may still hand over what it had fetched (and, after
     * a consumer of this instance left the group, what another one fetched of its partitions), and none
     * of it may be stored once its consumer committed and closed.
     */
    void stopTaking() {
        taking = false;
    }

    /**
     * Whether every record taken has been stored and acknowledged and none has been taken for
     * {@code quiet}; exact after {@link #stopTaking}, since a call of {@link #consume} in progress counts.
     */
    boolean drained(Duration quiet) {
        return entering.get() == 0 && System.nanoTime() - lastTakenNanos >= quiet.toNanos()
                && pipelines.values().stream().allMatch(PartitionPipeline::idle);
    }

    /**
     * The offsets to commit for {@code owned} after a drain: past the record taken last of each partition
     * taken from since it was assigned. A partition's records come in order, from its committed offset on
     * at each assignment, so once drained every record before it is stored. Only right once
     * {@link #drained} said so after {@link #stopTaking}.
     */
    Map<TopicPartition, OffsetAndMetadata> takenOffsets(Set<TopicPartition> owned) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition partition : owned) {
            PartitionPipeline<Claimed> pipeline = pipelines.get(partition);
            if (pipeline != null) {
                pipeline.lastTaken().ifPresent(last -> offsets.put(partition, new OffsetAndMetadata(last + 1)));
            }
        }
        return offsets;
    }

    /**
     * The partitions were taken from this host: their records not yet cut into a batch are dropped, left
     * to the next owner. Completes once the batches claiming at this moment have written their claims.
     * Without this the previous owner went on claiming up to {@code max-pending} records per partition
     * while the next owner claimed the same ones; under index layouts that differed between the two
     * hosts (one grown less than {@code layout-refresh} before), both stored the message, in two buckets.
     */
    CompletableFuture<Void> revoke(Collection<TopicPartition> partitions) {
        List<CompletableFuture<Void>> claims = new ArrayList<>();
        for (TopicPartition partition : partitions) {
            PartitionPipeline<Claimed> pipeline = pipelines.get(partition);
            if (pipeline != null) {
                claims.add(pipeline.revoke());
            }
        }
        return CompletableFuture.allOf(claims.toArray(CompletableFuture[]::new));
    }

    /** The partitions are this host's (again): their records are taken from the committed offset on. */
    void assign(Collection<TopicPartition> partitions) {
        for (TopicPartition partition : partitions) {
            PartitionPipeline<Claimed> pipeline = pipelines.get(partition);
            if (pipeline != null) {
                pipeline.assign();
            }
        }
    }

    private PartitionPipeline<Claimed> pipeline(TopicPartition topicPartition) {
        return pipelines.computeIfAbsent(topicPartition,
                partition -> new PartitionPipeline<>(config.pipeline(), new PartitionPipeline.Stages<>() {
                    @Override
                    public Uni<Claimed> claim(List<KafkaRecord<String, byte[]>> batch) {
                        return claimBatch(batch);
                    }

                    @Override
                    public Uni<Void> store(Claimed claimed) {
                        return storeBatch(claimed);
                    }
                }));
    }

    private Uni<Claimed> claimBatch(List<KafkaRecord<String, byte[]>> records) {
        recordSince(batchAge, records.get(0).getTimestamp());
        long started = System.nanoTime();
        List<Delivery> deliveries = new ArrayList<>(records.size());
        List<Uni<Void>> parked = new ArrayList<>();
        for (KafkaRecord<String, byte[]> record : records) {
            try {
                deliveries.add(new Delivery(EventCodec.decodeKeepingObjects(record.getPayload()), record.getPayload(),
                        record.getPartition(), offset(record)));
            } catch (UndecodableEventException e) {
                parked.add(park(record, e));
            }
        }
        Uni<Void> deadLettered = parked.isEmpty() ? Uni.createFrom().voidItem()
                : Uni.join().all(parked).andFailFast().replaceWithVoid().memoize().indefinitely();
        // Dead letters are sent while the claims run; the batch waits for both before it is acknowledged.
        deadLettered.subscribe().with(done -> { }, failure -> { });
        return deduplicator.claim(deliveries).map(claimed -> new Claimed(claimed, deadLettered))
                .invoke(() -> claimTime.record(System.nanoTime() - started, TimeUnit.NANOSECONDS));
    }

    private static long offset(KafkaRecord<String, byte[]> record) {
        return record.getMetadata(IncomingKafkaRecordMetadata.class).map(IncomingKafkaRecordMetadata::getOffset)
                .orElseThrow(() -> new IllegalStateException("a raw record without its offset"));
    }

    private Uni<Void> storeBatch(Claimed claimed) {
        long started = System.nanoTime();
        return deduplicator.store(claimed.events()).invoke(this::count)
                .flatMap(stored -> claimed.deadLettered())
                .invoke(() -> storeTime.record(System.nanoTime() - started, TimeUnit.NANOSECONDS));
    }

    /** Records the time since a Kafka timestamp; none when the producer's clock is ahead of this host's. */
    private static void recordSince(Timer timer, Instant kafkaTimestamp) {
        if (kafkaTimestamp != null) {
            long millis = System.currentTimeMillis() - kafkaTimestamp.toEpochMilli();
            if (millis >= 0) {
                timer.record(millis, TimeUnit.MILLISECONDS);
            }
        }
    }

    private Uni<Void> park(KafkaRecord<String, byte[]> record, UndecodableEventException e) {
        String origin = record.getTopic() + "-" + record.getPartition() + "@" + offset(record);
        LOG.warnf("undecodable record at %s sent to dead letter: %s", origin, e.getMessage());
        metrics.counter("tidemark.dedup.events", "source", "unknown", "outcome", "dead_letter").increment();
        return Uni.createFrom().deferred(() -> deadLetters.publish(record.getKey(), record.getPayload(), e.getMessage(), origin))
                .onFailure().invoke(failure -> LOG.warnf("dead letter for %s failed, retrying: %s", origin, failure))
                .onFailure().retry().withBackOff(config.retry().initialBackoff(), config.retry().maxBackoff())
                .indefinitely();
    }

    private void count(List<EventDeduplicator.Result> results) {
        Map<List<String>, Integer> counts = new HashMap<>();
        Instant now = Instant.now();
        for (EventDeduplicator.Result result : results) {
            CollectedEvent event = result.event();
            counts.merge(List.of(event.source(), result.outcome().name().toLowerCase()), 1, Integer::sum);
            // A redelivery (COMPLETED) was received long ago by definition; it would only say how late the retry came.
            if (result.outcome() == StoreOutcome.STORED && event.receivedAt() != null) {
                Duration delay = Duration.between(event.receivedAt(), now);
                // Ingest's clock ahead of this host's: no delay to report rather than a made-up one.
                if (!delay.isNegative()) {
                    storedDelay.record(delay);
                }
            }
            if (result.outcome() != StoreOutcome.STORED) {
                LOG.debugf("messageId=%s source=%s %s", event.messageId(), event.source(), result.outcome());
            }
        }
        counts.forEach((tags, n) -> metrics.counter("tidemark.dedup.events", "source", tags.get(0), "outcome",
                tags.get(1)).increment(n));
    }
}
