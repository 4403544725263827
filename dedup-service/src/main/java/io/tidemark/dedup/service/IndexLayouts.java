package io.tidemark.dedup.service;

import io.smallrye.mutiny.Uni;
import io.tidemark.dedup.config.DedupConfig;
import io.tidemark.dedup.repository.IndexLayoutRepository;
import io.tidemark.dedup.repository.MessageLedger;
import io.tidemark.event.EventIndexLayout;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Collection;
import java.util.Optional;

/**
 * The bucket counts this host claims new messages with, per (source, day): read from the recorded
 * layouts, re-read while the host writes to the day, and grown (a new recorded version) when
 * {@link PartitionSizing} says the day's bytes need more buckets. Every host decides from the same
 * shared counter and records through a lightweight transaction, so they agree on each version; a host
 * that has not re-read yet claims a few more messages with the previous count, which is harmless,
 * because a claim keeps the bucket its row went to and readers scan the highest count.
 */
@ApplicationScoped
public class IndexLayouts {

    private static final Logger LOG = Logger.getLogger(IndexLayouts.class);

    /** A (source, UTC event day) of the index. */
    public record Day(String source, LocalDate day) {
    }

    /** What this host last read for a day: its layout, and its bytes, to tell the rate they grow at. */
    private record Known(IndexLayoutRepository.Version version, long storedBytes) {
    }

    private final IndexLayoutRepository repository;
    private final PartitionSizing sizing;
    private final Refreshed<Day, Known> known;

    public IndexLayouts(IndexLayoutRepository repository, DedupConfig config) {
        this.repository = repository;
        this.sizing = new PartitionSizing(config.index().partitionTarget(), config.index().pastDayHorizon());
        this.known = new Refreshed<>(config.index().layoutRefresh(), "index layout", this::read);
    }

    /**
     * Makes every day's layout known and at most the refresh interval old, growing any that need it.
     * Fails only if a day was never read and cannot be read now; a day read before keeps its last
     * known count meanwhile (at worst a few more rows in the smaller count's buckets).
     */
    public Uni<Void> refresh(Collection<Day> days) {
        return known.refresh(days);
    }

    /** Every day's layout is read again before its next use ({@link Refreshed#readAgain}). */
    public void readAgain() {
        known.readAgain();
    }

    /**
     * The bucket of a new message of {@code day} at {@code eventTime}, by its Kafka key's hash
     * ({@code MessageLedger.keyHash}), so that a
     * batch from one raw partition writes few of the day's partitions; call after {@link #refresh}.
     */
    public short bucket(Day day, int keyHash, Instant eventTime) {
        Known k = known.get(day);
        if (k == null) {
            return EventIndexLayout.bucket(keyHash, eventTime, EventIndexLayout.WHOLE_DAY_SECONDS,
                    EventIndexLayout.ORIGINAL_BUCKETS);
        }
        return EventIndexLayout.bucket(keyHash, eventTime, k.version().sliceSeconds(), k.version().buckets());
    }

    private Uni<Known> read(Day day, Refreshed.Entry<Known> before) {
        return Uni.combine().all()
                .unis(repository.latest(day.source(), day.day()), repository.storedBytes(day.source(), day.day())).asTuple()
                .flatMap(read -> decide(day, before, read.getItem1(), read.getItem2()));
    }

    private Uni<Known> decide(Day day, Refreshed.Entry<Known> before, Optional<IndexLayoutRepository.Version> recorded,
            long storedBytes) {
        IndexLayoutRepository.Version current = recorded.orElse(new IndexLayoutRepository.Version(0,
                EventIndexLayout.ORIGINAL_BUCKETS, EventIndexLayout.WHOLE_DAY_SECONDS));
        long now = System.nanoTime();
        double rate = 0;
        if (before != null && now > before.readAtNanos()) {
            rate = (storedBytes - before.value().storedBytes()) / ((now - before.readAtNanos()) / 1e9);
        }
        PartitionSizing.Shape wanted = sizing.shapeFor(new PartitionSizing.Shape(current.sliceSeconds(), current.buckets()),
                storedBytes, rate, day.day(), Instant.now());
        if (wanted.buckets() == current.buckets()) {
            return Uni.createFrom().item(new Known(current, storedBytes));
        }
        IndexLayoutRepository.Version next = new IndexLayoutRepository.Version(current.version() + 1, wanted.buckets(),
                wanted.sliceSeconds());
        String reason = String.format("%d bytes stored, growing %.0f bytes/s", storedBytes, rate);
        return repository.add(day.source(), day.day(), next, reason)
                .invoke(added -> {
                    if (added) {
                        LOG.infof("index layout of %s %s: version %d, %d -> %d buckets, slices of %d s (%s)",
                                day.source(), day.day(), next.version(), current.buckets(), next.buckets(),
                                next.sliceSeconds(), reason);
                    }
                })
                // Whoever added the version, the recorded one is what this host claims with.
                .flatMap(added -> repository.latest(day.source(), day.day()))
                .map(latest -> new Known(latest.orElse(current), storedBytes));
    }
}
