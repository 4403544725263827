package io.tidemark.dedup.service;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.tidemark.dedup.config.DedupConfig;
import io.tidemark.dedup.messaging.CleanEventPublisher;
import io.tidemark.dedup.repository.EventIndexRepository;
import io.tidemark.dedup.repository.MessageLedger;
import io.tidemark.event.ChangedHours;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventIndexLayout;
import io.tidemark.event.EventKey;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Stores each event once, whatever copies arrive, a batch at a time in two stages (claim, store).
 *
 * <p>A message's claim in the ledger names the delivery that owns its row: the raw-topic partition
 * and offset of its earliest copy. A plain read-then-write claim is enough because of how copies reach
 * dedup. Every copy of a message has the same key, so the same raw partition; a partition's batches
 * are claimed one after the other in offset order, and its offsets are committed only past records
 * whose batch finished. So whoever looks up a copy has before either claimed the earlier copies itself
 * or started after a commit that covered them: the earliest copy's claim is always there when a later
 * copy is looked up. Two consumers on one partition (a rebalance with a slow previous owner) do not
 * claim at once: the previous owner stops claiming before the rebalance goes on (RawPartitionsListener),
 * and the new one finds its claims and writes the same rows. The limit: copies
 * split over two partitions (the raw topic's partition count changed while they were in flight) and
 * looked up at the same moment can both be stored.
 *
 * <p>Order matters for crash safety: claim, write the row, publish it to the clean topic and mark its
 * day changed; only then is the record acknowledged. A crash before that leaves the record
 * uncommitted; its redelivery finds its own claim and redoes the rest, all idempotent, at the claimed
 * event time. A later copy is a copy at once: it sits after the owner in the partition, so it is never
 * committed before the owner's store finished. Each step is retried with backoff until it succeeds:
 * Cassandra being away is not the event's fault.
 */
@ApplicationScoped
public class EventDeduplicator {

    private static final Logger LOG = Logger.getLogger(EventDeduplicator.class);
    private static final long WARNING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final AtomicLong nextWarning = new AtomicLong(System.nanoTime());
    /** Keys claimed by a batch whose store has not finished yet, with that batch's completion. */
    private final Map<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();

    private final MessageLedger ledger;
    private final ClaimLayouts claimLayouts;
    private final IndexLayouts layouts;
    private final EventIndexRepository index;
    private final CleanEventPublisher clean;
    private final RecentlyStoredKeys recent;
    private final DedupConfig config;

    public EventDeduplicator(MessageLedger ledger, ClaimLayouts claimLayouts, IndexLayouts layouts,
            EventIndexRepository index, CleanEventPublisher clean, RecentlyStoredKeys recent, DedupConfig config) {
        this.ledger = ledger;
        this.claimLayouts = claimLayouts;
        this.layouts = layouts;
        this.index = index;
        this.clean = clean;
        this.recent = recent;
        this.config = config;
    }

    /** What happened to one delivered copy. */
    public record Result(CollectedEvent event, StoreOutcome outcome) {
    }

    /** The decision for one delivery: a copy, or a row to store at the claimed event time and bucket. */
    private record Claimed(Delivery delivery, Instant eventTime, short bucket, StoreOutcome outcome) {
        EventIndexRepository.Placed placed() {
            return new EventIndexRepository.Placed(delivery.event(), eventTime, bucket);
        }
    }

    /**
     * A batch whose messageIds are claimed in the ledger: what is left is to store it with
     * {@link #store(ClaimedBatch)}. Holds its keys as in flight until then.
     */
    public static final class ClaimedBatch {
        private final List<Result> results;
        private final List<Claimed> toStore;
        private final List<CompletableFuture<Void>> originals;
        private final List<String> registered;
        private final CompletableFuture<Void> stored;

        private ClaimedBatch(List<Result> results, List<Claimed> toStore, List<CompletableFuture<Void>> originals,
                List<String> registered, CompletableFuture<Void> stored) {
            this.results = results;
            this.toStore = toStore;
            this.originals = originals;
            this.registered = registered;
            this.stored = stored;
        }
    }

    /**
     * The first stage: drops copies known without a round trip, looks the rest up in the ledger and
     * claims those nobody owns. The claims of one raw partition must be made in offset order (see
     * the class comment), so a caller starts the next batch's claims only after this completes; the
     * {@link #store(ClaimedBatch) store} of this batch may overlap them. Never fails.
     *
     * <p>A copy of a message whose first copy is still being stored by an earlier, overlapping batch
     * is a copy: it is not looked up (its claim may not be written yet), and its batch completes only
     * after that earlier batch did, so acknowledging it never covers an unfinished store.
     */
    public Uni<ClaimedBatch> claim(List<Delivery> deliveries) {
        List<Result> results = new ArrayList<>();
        List<CompletableFuture<Void>> originals = new ArrayList<>();
        List<String> registered = new ArrayList<>();
        CompletableFuture<Void> stored = new CompletableFuture<>();
        // Copies inside one batch: only the first goes to the ledger, the others are copies of it.
        Map<String, Delivery> firsts = new LinkedHashMap<>();
        for (Delivery delivery : deliveries) {
            String key = delivery.key();
            if (firsts.containsKey(key) || recent.contains(key)) {
                results.add(new Result(delivery.event(), StoreOutcome.DUPLICATE));
                continue;
            }
            CompletableFuture<Void> original = inFlight.putIfAbsent(key, stored);
            if (original != null) {
                originals.add(original);
                results.add(new Result(delivery.event(), StoreOutcome.DUPLICATE));
                continue;
            }
            registered.add(key);
            firsts.put(key, delivery);
        }
        // A new claim takes its row's bucket from the layout of its day and its own bucket from its
        // source's claim layouts, so the layouts come first.
        Set<IndexLayouts.Day> days = new LinkedHashSet<>();
        Set<String> sources = new LinkedHashSet<>();
        firsts.values().forEach(d -> {
            days.add(new IndexLayouts.Day(d.event().source(), EventIndexLayout.eventDay(d.event().timestamp())));
            sources.add(d.event().source());
        });
        return Uni.combine().all().unis(persistently(null, "read index layouts", () -> layouts.refresh(days)),
                        persistently(null, "read claim layouts", () -> claimLayouts.refresh(sources))).discardItems()
                .flatMap(known -> lookUp(firsts.values()))
                .flatMap(existing -> claimNew(firsts.values(), existing)).map(decided -> {
            List<Claimed> toStore = new ArrayList<>();
            for (Claimed c : decided) {
                if (c.outcome() == StoreOutcome.DUPLICATE) {
                    results.add(new Result(c.delivery().event(), StoreOutcome.DUPLICATE));
                } else {
                    toStore.add(c);
                }
            }
            return new ClaimedBatch(results, toStore, originals, registered, stored);
        });
    }

    /**
     * The claims that exist for these deliveries, by Kafka key: each message is looked for in its
     * bucket under every claim layout of its source that may still hold it, one query per partition.
     */
    private Uni<Map<String, MessageLedger.Claim>> lookUp(Collection<Delivery> deliveries) {
        Map<MessageLedger.Partition, Set<String>> byPartition = new LinkedHashMap<>();
        // Once per source, not per message: a batch's messages mostly share a few sources.
        Map<String, List<Integer>> lookupBuckets = new HashMap<>();
        for (Delivery d : deliveries) {
            String source = d.event().source();
            for (int buckets : lookupBuckets.computeIfAbsent(source, claimLayouts::lookupBuckets)) {
                byPartition.computeIfAbsent(new MessageLedger.Partition(source, MessageLedger.bucket(d.keyHash(), buckets)),
                        k -> new LinkedHashSet<>()).add(d.event().messageId());
            }
        }
        Map<String, MessageLedger.Claim> found = new ConcurrentHashMap<>();
        return inParallel(byPartition.entrySet(), e -> persistently(null, "look up claims",
                        () -> ledger.find(e.getKey().source(), e.getKey().bucket(), List.copyOf(e.getValue())))
                        .invoke(claims -> claims.forEach((messageId, claim) ->
                                found.putIfAbsent(EventKey.of(e.getKey().source(), messageId), claim))))
                .replaceWith(found);
    }

    /**
     * Decides each delivery from its claim and claims those nobody owns, in their bucket under their
     * source's current claim layout, and counts the new claims per source.
     */
    private Uni<List<Claimed>> claimNew(Collection<Delivery> deliveries, Map<String, MessageLedger.Claim> existing) {
        List<Claimed> decided = new ArrayList<>(deliveries.size());
        Map<MessageLedger.Partition, List<MessageLedger.Claim>> claims = new LinkedHashMap<>();
        Map<String, Long> newPerSource = new LinkedHashMap<>();
        for (Delivery delivery : deliveries) {
            CollectedEvent event = delivery.event();
            MessageLedger.Claim claim = existing.get(delivery.key());
            Claimed c = decide(delivery, claim);
            decided.add(c);
            if (c.outcome() != StoreOutcome.DUPLICATE && claim == null) {
                String source = event.source();
                short bucket = MessageLedger.bucket(delivery.keyHash(), claimLayouts.currentBuckets(source));
                claims.computeIfAbsent(new MessageLedger.Partition(source, bucket), k -> new ArrayList<>())
                        .add(new MessageLedger.Claim(event.messageId(), c.eventTime(), owner(delivery), c.bucket()));
                newPerSource.merge(source, 1L, Long::sum);
            }
        }
        if (claims.isEmpty()) {
            return Uni.createFrom().item(decided);
        }
        // The counts only size future layouts, so they need not wait for the claims, nor the claims for them.
        return Uni.combine().all().unis(
                        persistently(null, "claim", () -> ledger.record(claims)),
                        inParallel(newPerSource.entrySet(), n -> persistently(null, "count claims",
                                () -> claimLayouts.counted(n.getKey(), n.getValue()))))
                .discardItems().replaceWith(decided);
    }

    private Claimed decide(Delivery delivery, MessageLedger.Claim claim) {
        CollectedEvent event = delivery.event();
        if (claim == null) {
            short bucket = layouts.bucket(new IndexLayouts.Day(event.source(), EventIndexLayout.eventDay(event.timestamp())),
                    delivery.keyHash(), event.timestamp());
            return new Claimed(delivery, event.timestamp(), bucket, StoreOutcome.STORED);
        }
        if (owner(delivery).equals(claim.owner())) {
            // This very record again (a crash or rebalance before its commit): redo the rest, in the
            // same row even if the day has more buckets by now.
            return new Claimed(delivery, claim.eventTime(), claim.rowBucket(), StoreOutcome.COMPLETED);
        }
        // The owner is earlier in this partition, so its store is done (or it would be in flight here).
        // One in another partition (a changed partition count) may still be storing: not remembered.
        if (claim.owner().partition() == delivery.partition()) {
            recent.add(delivery.key());
        }
        return new Claimed(delivery, null, (short) 0, StoreOutcome.DUPLICATE);
    }

    private static MessageLedger.Owner owner(Delivery delivery) {
        return new MessageLedger.Owner(delivery.partition(), delivery.offset());
    }

    /**
     * The second stage: rows, day marks and clean topic, then waits for the earlier batches holding
     * the first copies of this batch's copies. Never fails.
     */
    public Uni<List<Result>> store(ClaimedBatch batch) {
        return write(batch.toStore)
                .flatMap(done -> batch.originals.isEmpty() ? Uni.createFrom().voidItem()
                        : Uni.createFrom().completionStage(
                                CompletableFuture.allOf(batch.originals.toArray(CompletableFuture[]::new))))
                .map(done -> {
                    batch.toStore.forEach(c -> batch.results.add(new Result(c.delivery().event(), c.outcome())));
                    return batch.results;
                })
                .onTermination().invoke(() -> {
                    batch.registered.forEach(key -> inFlight.remove(key, batch.stored));
                    batch.stored.complete(null);
                });
    }

    /** The rows to store cut into batches of one index partition each, at most {@code row-batch-size} rows. */
    private List<List<Claimed>> rowBatches(List<Claimed> toStore) {
        Map<EventIndexRepository.Partition, List<Claimed>> byPartition = new LinkedHashMap<>();
        toStore.forEach(c -> byPartition.computeIfAbsent(EventIndexRepository.Partition.of(c.placed()),
                k -> new ArrayList<>()).add(c));
        List<List<Claimed>> batches = new ArrayList<>();
        int size = config.rowBatchSize();
        for (List<Claimed> rows : byPartition.values()) {
            for (int from = 0; from < rows.size(); from += size) {
                batches.add(rows.subList(from, Math.min(rows.size(), from + size)));
            }
        }
        return batches;
    }

    /**
     * Rows, the clean records of each row batch sent as soon as that batch is written (that is what
     * a downstream reader waits for), and the day marks once every row of the batch is written.
     * Publishes hold no row slot: the producer batches them, and a row write need not wait for Kafka.
     * Marks and publishes have no order between them: neither reader needs the other, and a crash
     * before the acknowledgement redoes both.
     */
    private Uni<Void> write(List<Claimed> toStore) {
        if (toStore.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        // The bytes of the rows of each (source, day), which decide how many buckets the day needs, and
        // the hours of event time they fall in, which the mart exports again.
        Map<IndexLayouts.Day, DayMark> days = new LinkedHashMap<>();
        toStore.forEach(c -> days.computeIfAbsent(new IndexLayouts.Day(c.delivery().event().source(),
                EventIndexLayout.eventDay(c.eventTime())), day -> new DayMark()).add(c));
        List<Uni<Void>> publishing = Collections.synchronizedList(new ArrayList<>());
        return inParallel(rowBatches(toStore), rows -> persistently(rows.get(0).delivery().event(), "write rows",
                        () -> index.writeAll(rows.stream().map(Claimed::placed).toList()))
                        .invoke(() -> publishing.add(publishNow(rows))))
                // One mark per (source, day) of the batch, after all its rows, so a reader of the mark finds them.
                .flatMap(rows -> Uni.combine().all().unis(
                        inParallel(days.entrySet(), d -> persistently(null, "mark day " + d.getKey().day() + " changed",
                                () -> index.markChanged(d.getKey().source(), d.getKey().day(), d.getValue().bytes,
                                        d.getValue().hours))),
                        Uni.join().all(publishing).andCollectFailures()).discardItems())
                .invoke(() -> toStore.forEach(c -> recent.add(c.delivery().key())))
                .replaceWithVoid();
    }

    /** What one batch stored of a (source, day): its rows' bytes and the hours of event time they fall in. */
    private static final class DayMark {
        long bytes;
        int hours;

        void add(Claimed claimed) {
            bytes += claimed.delivery().wireForm().length;
            hours |= ChangedHours.maskOf(claimed.eventTime());
        }
    }

    /** Starts publishing the stored events now; the returned Uni completes when Kafka acknowledged them. */
    private Uni<Void> publishNow(List<Claimed> rows) {
        List<CleanEventPublisher.Publication> publications = new ArrayList<>(rows.size());
        for (Claimed c : rows) {
            CollectedEvent event = c.delivery().event();
            publications.add(c.eventTime().equals(event.timestamp())
                    ? new CleanEventPublisher.Publication(event, c.delivery().wireForm())
                    : new CleanEventPublisher.Publication(atEventTime(event, c.eventTime()), null));
        }
        Uni<Void> published = this.<Void>persistently(rows.get(0).delivery().event(), "publish clean",
                () -> clean.publishAll(publications)).memoize().indefinitely();
        published.subscribe().with(done -> { }, failure -> { });
        return published;
    }

    private <T, R> Uni<List<R>> inParallel(Collection<T> items, Function<T, Uni<R>> step) {
        if (items.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return Multi.createFrom().iterable(items).onItem().<R>transformToUni(item -> step.apply(item)).merge(config.concurrency())
                .collect().asList();
    }

    private <T> Uni<T> persistently(CollectedEvent event, String step, Supplier<Uni<? extends T>> action) {
        return Uni.createFrom().<T>deferred(action)
                .onFailure().invoke(failure -> logFailure(event, step, failure))
                .onFailure().retry().withBackOff(config.retry().initialBackoff(), config.retry().maxBackoff())
                .indefinitely();
    }

    /**
     * During an outage every in-flight step fails at once and again on each retry: one warning per
     * interval tells the operator, the rest go to DEBUG.
     */
    private void logFailure(CollectedEvent event, String step, Throwable failure) {
        long now = System.nanoTime();
        long quietUntil = nextWarning.get();
        boolean warn = now - quietUntil >= 0 && nextWarning.compareAndSet(quietUntil, now + WARNING_INTERVAL_NANOS);
        String where = event == null ? "" : " messageId=" + event.messageId() + " source=" + event.source();
        if (warn) {
            LOG.warnf("%s failed, retrying with backoff%s: %s (more such failures in the next %d s at DEBUG)", step,
                    where, failure.toString(), TimeUnit.NANOSECONDS.toSeconds(WARNING_INTERVAL_NANOS));
        } else {
            LOG.debugf("%s failed, retrying with backoff%s: %s", step, where, failure.toString());
        }
    }

    /** The event as stored: at the first-seen event time, whatever this copy's timestamp says. */
    private static CollectedEvent atEventTime(CollectedEvent e, Instant eventTime) {
        if (eventTime.equals(e.timestamp())) {
            return e;
        }
        return new CollectedEvent(e.v(), e.source(), e.messageId(), e.type(), e.event(), e.name(), e.userId(),
                e.anonymousId(), e.groupId(), e.previousId(), e.properties(), e.traits(), e.context(),
                e.integrations(), eventTime, e.originalTimestamp(), e.sentAt(), e.receivedAt(), e.flags());
    }
}
