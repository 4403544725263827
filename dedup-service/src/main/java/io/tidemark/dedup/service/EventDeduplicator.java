package io.tidemark.dedup.service;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.tidemark.dedup.config.DedupConfig;
import io.tidemark.dedup.messaging.CleanEventPublisher;
import io.tidemark.dedup.repository.EventIndexRepository;
import io.tidemark.dedup.repository.MessageLedger;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventIndexLayout;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
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
 * <p>Order matters for crash safety: claim the messageId in the ledger, write the row, publish it to
 * the clean topic and mark its day changed, and only then mark the claim completed. A crash anywhere
 * before that last step leaves an incomplete claim; the redelivered copy sees it and redoes the
 * remaining steps, all idempotent, at the first-seen event time. So a later copy with another
 * (corrected) timestamp is never stored on a second day, and no stored event misses the clean topic.
 * Each step is retried with backoff until it succeeds: Cassandra being away is not the event's fault.
 */
@ApplicationScoped
public class EventDeduplicator {

    private static final Logger LOG = Logger.getLogger(EventDeduplicator.class);
    private static final long WARNING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final AtomicLong nextWarning = new AtomicLong(System.nanoTime());
    /** Keys claimed by a batch whose store has not finished yet, with that batch's completion. */
    private final Map<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();

    private final MessageLedger ledger;
    private final EventIndexRepository index;
    private final CleanEventPublisher clean;
    private final RecentlyStoredKeys recent;
    private final DedupConfig config;

    public EventDeduplicator(MessageLedger ledger, EventIndexRepository index, CleanEventPublisher clean,
            RecentlyStoredKeys recent, DedupConfig config) {
        this.ledger = ledger;
        this.index = index;
        this.clean = clean;
        this.recent = recent;
        this.config = config;
    }

    /** What happened to one delivered copy. */
    public record Result(CollectedEvent event, StoreOutcome outcome) {
    }

    private record Claimed(CollectedEvent event, MessageLedger.Claim claim) {
        Instant eventTime() {
            return claim.eventTime();
        }
    }

    /**
     * A batch whose messageIds are claimed in the ledger: what is left is to store it with
     * {@link #store(ClaimedBatch)}. Holds its keys as in flight until then.
     */
    public static final class ClaimedBatch {
        private final List<Result> results;
        private final List<Claimed> toWrite;
        private final Map<CollectedEvent, byte[]> wireForms;
        private final List<CompletableFuture<Void>> originals;
        private final List<String> registered;
        private final CompletableFuture<Void> stored;

        private ClaimedBatch(List<Result> results, List<Claimed> toWrite, Map<CollectedEvent, byte[]> wireForms,
                List<CompletableFuture<Void>> originals, List<String> registered, CompletableFuture<Void> stored) {
            this.results = results;
            this.toWrite = toWrite;
            this.wireForms = wireForms;
            this.originals = originals;
            this.registered = registered;
            this.stored = stored;
        }
    }

    /**
     * The first stage: drops copies known without a round trip and claims the rest in the ledger.
     * {@code wireForms} holds each event's raw record value (by identity), republished as is.
     * Claims of one raw partition must not overlap (their Paxos rounds would contend on the same
     * claim partitions), so a caller starts the next batch's claims only after this completes; the
     * {@link #store(ClaimedBatch) store} of this batch may overlap them. Never fails.
     *
     * <p>A copy of a message whose first copy is still being stored by an earlier, overlapping batch
     * is a copy: it is not claimed again (that would redo the store), and its batch completes only
     * after that earlier batch did, so acknowledging it never covers an unfinished store.
     */
    public Uni<ClaimedBatch> claim(List<CollectedEvent> events, Map<CollectedEvent, byte[]> wireForms) {
        List<Result> results = new ArrayList<>();
        List<CompletableFuture<Void>> originals = new ArrayList<>();
        List<String> registered = new ArrayList<>();
        CompletableFuture<Void> stored = new CompletableFuture<>();
        // Copies inside one batch: only the first goes to the ledger, the others are copies of it.
        Map<String, CollectedEvent> firsts = new LinkedHashMap<>();
        for (CollectedEvent event : events) {
            String key = event.kafkaKey();
            if (firsts.containsKey(key) || recent.contains(key)) {
                results.add(new Result(event, StoreOutcome.DUPLICATE));
                continue;
            }
            CompletableFuture<Void> original = inFlight.putIfAbsent(key, stored);
            if (original != null) {
                originals.add(original);
                results.add(new Result(event, StoreOutcome.DUPLICATE));
                continue;
            }
            registered.add(key);
            firsts.put(key, event);
        }
        // One conditional batch per ledger partition claims a whole group; rows are then written one by one.
        return inParallel(groups(firsts.values()), group -> persistently(group.events().get(0), "claim",
                () -> ledger.claimAll(group.source(), group.bucket(), group.events()))
                .map(claims -> group.events().stream().map(e -> new Claimed(e, claims.get(e.messageId()))).toList()))
                .map(groups -> {
                    List<Claimed> toWrite = new ArrayList<>();
                    for (List<Claimed> group : groups) {
                        for (Claimed c : group) {
                            if (!c.claim().first() && c.claim().completed()) {
                                recent.add(c.event().kafkaKey());
                                results.add(new Result(c.event(), StoreOutcome.DUPLICATE));
                            } else {
                                toWrite.add(c);
                            }
                        }
                    }
                    return new ClaimedBatch(results, toWrite, wireForms, originals, registered, stored);
                });
    }

    /**
     * The second stage: rows, day marks, clean topic and claim completion, then waits for the
     * earlier batches holding the first copies of this batch's copies. Never fails.
     */
    public Uni<List<Result>> store(ClaimedBatch batch) {
        return finish(batch.toWrite, batch.wireForms)
                .flatMap(done -> batch.originals.isEmpty() ? Uni.createFrom().voidItem()
                        : Uni.createFrom().completionStage(
                                CompletableFuture.allOf(batch.originals.toArray(CompletableFuture[]::new))))
                .map(done -> {
                    batch.toWrite.forEach(c -> batch.results.add(new Result(c.event(),
                            c.claim().first() ? StoreOutcome.STORED : StoreOutcome.COMPLETED)));
                    return batch.results;
                })
                .onTermination().invoke(() -> {
                    batch.registered.forEach(key -> inFlight.remove(key, batch.stored));
                    batch.stored.complete(null);
                });
    }

    /** Events of one ledger partition. */
    private record Group(String source, short bucket, List<CollectedEvent> events) {
    }

    private static List<Group> groups(Collection<CollectedEvent> events) {
        record Key(String source, short bucket) {
        }
        Map<Key, List<CollectedEvent>> byPartition = new LinkedHashMap<>();
        for (CollectedEvent e : events) {
            byPartition.computeIfAbsent(new Key(e.source(), MessageLedger.bucket(e.source(), e.messageId())),
                    k -> new ArrayList<>()).add(e);
        }
        List<Group> groups = new ArrayList<>();
        byPartition.forEach((key, list) -> groups.add(new Group(key.source(), key.bucket(), list)));
        return groups;
    }

    /**
     * Rows, each event's clean record sent as soon as its own row is written (that is what a
     * downstream reader waits for), the day marks once every row of the batch is written, and only
     * after all of these the completion of the claims. Publishes hold no row slot: the producer
     * batches them, and a row write need not wait for Kafka. Marks and publishes have no order
     * between them: neither reader needs the other, and a crash before the completion redoes both.
     */
    private Uni<Void> finish(List<Claimed> written, Map<CollectedEvent, byte[]> wireForms) {
        if (written.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        record Day(String source, LocalDate day) {
        }
        Set<Day> days = new LinkedHashSet<>();
        Map<CollectedEvent, Instant> firstSeen = new IdentityHashMap<>();
        written.forEach(c -> {
            days.add(new Day(c.event().source(), EventIndexLayout.eventDay(c.eventTime())));
            firstSeen.put(c.event(), c.claim().firstSeen());
        });
        List<Uni<Void>> publishing = Collections.synchronizedList(new ArrayList<>(written.size()));
        return inParallel(written, c -> persistently(c.event(), "write row", () -> index.write(c.event(), c.eventTime()))
                        .invoke(() -> publishing.add(publishNow(c, wireForms))))
                // One mark per (source, day) of the batch, after all its rows, so a reader of the mark finds them.
                .flatMap(rows -> Uni.combine().all().unis(
                        inParallel(days, d -> persistently(null, "mark day " + d.day() + " changed",
                                () -> index.markChanged(d.source(), d.day()))),
                        Uni.join().all(publishing).andCollectFailures()).discardItems())
                .flatMap(both -> inParallel(groups(written.stream().map(Claimed::event).toList()),
                        group -> persistently(group.events().get(0), "complete claims",
                                () -> ledger.completeAll(group.source(), group.bucket(), group.events().stream()
                                        .map(e -> new MessageLedger.Completion(e.messageId(), firstSeen.get(e)))
                                        .toList()))
                                .invoke(() -> group.events().forEach(e -> recent.add(e.kafkaKey())))))
                .replaceWithVoid();
    }

    /** Starts publishing the stored event now; the returned Uni completes when Kafka acknowledged it. */
    private Uni<Void> publishNow(Claimed c, Map<CollectedEvent, byte[]> wireForms) {
        Uni<Void> published = this.<Void>persistently(c.event(), "publish clean",
                        () -> c.eventTime().equals(c.event().timestamp())
                                ? clean.publish(c.event(), wireForms.get(c.event()))
                                : clean.publish(atEventTime(c.event(), c.eventTime()), null))
                .memoize().indefinitely();
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
