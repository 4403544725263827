package io.tidemark.dedup.service;

import io.smallrye.mutiny.Uni;
import io.tidemark.dedup.config.DedupConfig;
import io.tidemark.dedup.repository.ClaimLayoutRepository;
import io.tidemark.dedup.repository.MessageLedger;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The claim buckets of each source this host claims for, grown with the source's volume. Unlike the
 * index's layouts ({@link IndexLayouts}), one layout holds per source for the whole dedup window: a
 * copy may come any time within it, with another event time, so a lookup reads the message's bucket
 * under every layout whose claims may still be alive. Counts are 60 times a power of two, so every
 * older count divides the newer ones and the older layouts never cost more lookups than the newest.
 *
 * <p>A source's size is the claims it made in the window's days, and its rate the claims of its
 * busiest of today and yesterday: whichever needs more buckets once the whole window is at that rate
 * decides. Day counts rather than a rate measured over seconds, so a burst (a backfill, a benchmark)
 * grows a source only as far as the claims it really makes.
 */
@ApplicationScoped
public class ClaimLayouts {

    private static final Logger LOG = Logger.getLogger(ClaimLayouts.class);

    /** Bytes of one claim as Cassandra sizes partitions: 21 to 62 in {@code bench/run scale}, rounded up. */
    static final int CLAIM_BYTES = 64;
    /** The most claim buckets a source may have: 60 × 512 still fits the smallint key. */
    static final int MAX_BUCKETS = MessageLedger.BUCKETS * 512;
    /**
     * How long after a newer layout was recorded a claim may still be made with the older one: hosts
     * re-read every layout-refresh, and their clocks (which stamp {@code decided_at}) may differ.
     */
    private static final Duration STRAGGLERS = Duration.ofHours(1);
    private static final ClaimLayoutRepository.Version ORIGINAL =
            new ClaimLayoutRepository.Version(0, MessageLedger.BUCKETS, Instant.EPOCH);

    private final ClaimLayoutRepository repository;
    private final long partitionTarget;
    private final Duration window;
    /** The versions of each source, newest first and ending with the original. */
    private final Refreshed<String, List<ClaimLayoutRepository.Version>> known;

    public ClaimLayouts(ClaimLayoutRepository repository, DedupConfig config) {
        this.repository = repository;
        this.partitionTarget = config.claims().partitionTarget();
        this.window = config.window();
        this.known = new Refreshed<>(config.claims().layoutRefresh(), "claim layouts", (source, before) -> read(source));
    }

    /**
     * Makes the layouts of these sources known and at most the refresh interval old, growing any that
     * need it. Fails only if a source was never read and cannot be read now; one read before keeps its
     * last known layouts meanwhile.
     */
    public Uni<Void> refresh(Collection<String> sources) {
        return known.refresh(sources);
    }

    /** Every source's layouts are read again before their next use ({@link Refreshed#readAgain}). */
    public void readAgain() {
        known.readAgain();
    }

    /** The bucket count new claims of the source go to; call after {@link #refresh}. */
    public int currentBuckets(String source) {
        return versions(source).get(0).buckets();
    }

    /**
     * The bucket counts a lookup reads, newest first: the current layout and every older one whose
     * successor was recorded less than the window (and the stragglers' hour) ago.
     */
    public List<Integer> lookupBuckets(String source) {
        List<ClaimLayoutRepository.Version> versions = versions(source);
        Instant cutoff = Instant.now().minus(window).minus(STRAGGLERS);
        List<Integer> buckets = new ArrayList<>(List.of(versions.get(0).buckets()));
        for (int i = 1; i < versions.size() && versions.get(i - 1).decidedAt().isAfter(cutoff); i++) {
            buckets.add(versions.get(i).buckets());
        }
        return buckets;
    }

    /** Counts the new claims a batch made for the source today. */
    public Uni<Void> counted(String source, long claims) {
        return repository.count(source, LocalDate.now(ZoneOffset.UTC), claims);
    }

    /**
     * The buckets a source needs: {@code current}, or the fewest of 60 × 2^k (at most
     * {@link #MAX_BUCKETS}) that put no more than a quarter of the partition target into each once the
     * window holds {@code projectedClaims}.
     */
    static int bucketsFor(int current, double projectedClaims, long partitionTarget) {
        double bytes = projectedClaims * CLAIM_BYTES;
        double quarter = partitionTarget / 4.0;
        int buckets = current;
        while (bytes / buckets > quarter && buckets < MAX_BUCKETS) {
            buckets *= 2;
        }
        return buckets;
    }

    /** What the window will hold: its claims so far, or the busiest recent day's claims every day of it. */
    static double projectedClaims(List<ClaimLayoutRepository.DayClaims> days, LocalDate today, long windowDays) {
        long inWindow = 0;
        long busiestRecent = 0;
        for (ClaimLayoutRepository.DayClaims d : days) {
            if (!d.day().isBefore(today.minusDays(windowDays))) {
                inWindow += d.claims();
            }
            if (!d.day().isBefore(today.minusDays(1))) {
                busiestRecent = Math.max(busiestRecent, d.claims());
            }
        }
        return Math.max(inWindow, (double) busiestRecent * windowDays);
    }

    private List<ClaimLayoutRepository.Version> versions(String source) {
        List<ClaimLayoutRepository.Version> versions = known.get(source);
        return versions == null ? List.of(ORIGINAL) : versions;
    }

    private Uni<List<ClaimLayoutRepository.Version>> read(String source) {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        long windowDays = Math.max(1, (window.toSeconds() + 86_399) / 86_400);
        return Uni.combine().all().unis(repository.versions(source), repository.counts(source, today.minusDays(windowDays)))
                .asTuple().flatMap(read -> {
                    List<ClaimLayoutRepository.Version> versions = withOriginal(read.getItem1());
                    ClaimLayoutRepository.Version current = versions.get(0);
                    double projected = projectedClaims(read.getItem2(), today, windowDays);
                    int wanted = bucketsFor(current.buckets(), projected, partitionTarget);
                    if (wanted == current.buckets()) {
                        return Uni.createFrom().item(versions);
                    }
                    ClaimLayoutRepository.Version next =
                            new ClaimLayoutRepository.Version(current.version() + 1, wanted, Instant.now());
                    String reason = String.format("%.0f claims projected over the %d-day window", projected, windowDays);
                    return repository.add(source, next, reason)
                            .invoke(added -> {
                                if (added) {
                                    LOG.infof("claim layout of %s: version %d, %d -> %d buckets (%s)", source,
                                            next.version(), current.buckets(), wanted, reason);
                                }
                            })
                            // Whoever added the version, the recorded ones are what this host claims with.
                            .flatMap(added -> repository.versions(source))
                            .map(ClaimLayouts::withOriginal);
                });
    }

    private static List<ClaimLayoutRepository.Version> withOriginal(List<ClaimLayoutRepository.Version> recorded) {
        List<ClaimLayoutRepository.Version> versions = new ArrayList<>(recorded);
        versions.add(ORIGINAL);
        return versions;
    }
}
