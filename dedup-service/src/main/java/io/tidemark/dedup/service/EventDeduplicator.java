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
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Stores each event once, whatever copies arrive, a polled batch at a time.
 *
 * <p>Order matters for crash safety: claim the messageId in the ledger, write the row, mark its day
 * changed, publish it to the clean topic, and only then mark the claim completed. A crash anywhere
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
     * Completes when every event of the batch is stored or known to be a copy; never fails.
     * {@code wireForms} holds each event's raw record value (by identity), republished as is.
     */
    public Uni<List<Result>> storeAll(List<CollectedEvent> events, Map<CollectedEvent, byte[]> wireForms) {
        List<Result> results = new ArrayList<>();
        // Copies inside one batch: only the first goes to the ledger, the others are copies of it.
        Map<String, CollectedEvent> firsts = new LinkedHashMap<>();
        for (CollectedEvent event : events) {
            String key = event.kafkaKey();
            if (firsts.containsKey(key) || recent.contains(key)) {
                results.add(new Result(event, StoreOutcome.DUPLICATE));
            } else {
                firsts.put(key, event);
            }
        }
        // One conditional batch per ledger partition claims a whole group; rows are then written one by one.
        return inParallel(groups(firsts.values()), group -> persistently(group.events().get(0), "claim",
                () -> ledger.claimAll(group.source(), group.bucket(), group.events()))
                .map(claims -> group.events().stream().map(e -> new Claimed(e, claims.get(e.messageId()))).toList()))
                .flatMap(groups -> {
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
                    return inParallel(toWrite, c -> persistently(c.event(), "write row",
                            () -> index.write(c.event(), c.eventTime())).replaceWith(c));
                })
                .flatMap(written -> finish(written, wireForms).map(done -> {
                    written.forEach(c -> results.add(new Result(c.event(),
                            c.claim().first() ? StoreOutcome.STORED : StoreOutcome.COMPLETED)));
                    return results;
                }));
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

    /** After the rows: mark their days changed, publish them, and only then complete their claims. */
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
        // One mark per (source, day) of the batch, after all its rows, so a reader of the mark finds them.
        return inParallel(days, d -> persistently(null, "mark day " + d.day() + " changed",
                        () -> index.markChanged(d.source(), d.day())))
                .flatMap(marked -> inParallel(written, c -> persistently(c.event(), "publish clean",
                        () -> c.eventTime().equals(c.event().timestamp())
                                ? clean.publish(c.event(), wireForms.get(c.event()))
                                : clean.publish(atEventTime(c.event(), c.eventTime()), null))))
                .flatMap(published -> inParallel(groups(written.stream().map(Claimed::event).toList()),
                        group -> persistently(group.events().get(0), "complete claims",
                                () -> ledger.completeAll(group.source(), group.bucket(), group.events().stream()
                                        .map(e -> new MessageLedger.Completion(e.messageId(), firstSeen.get(e)))
                                        .toList()))
                                .invoke(() -> group.events().forEach(e -> recent.add(e.kafkaKey())))))
                .replaceWithVoid();
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
