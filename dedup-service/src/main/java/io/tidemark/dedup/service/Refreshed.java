package io.tidemark.dedup.service;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.smallrye.mutiny.Uni;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * What this host last read per key (a day's index layout, a source's claim layouts), read again by
 * the first batch that needs it once it is older than the refresh interval, or was read before the
 * last {@link #readAgain}. A key read since then keeps its last value while a re-read fails: a slightly
 * old layout is harmless, a stalled batch is not.
 */
final class Refreshed<K, V> {

    private static final Logger LOG = Logger.getLogger(Refreshed.class);

    /** A value and when its read started. */
    record Entry<V>(V value, long readAtNanos) {
    }

    /** Reads a key's value again, given what was known before (null: never read). */
    interface Reader<K, V> {
        Uni<V> read(K key, Entry<V> before);
    }

    private final Duration refresh;
    private final String what;
    private final Reader<K, V> reader;
    // Keys no batch touched for an hour are read again when one does.
    private final Cache<K, Entry<V>> entries = Caffeine.newBuilder().maximumSize(100_000)
            .expireAfterAccess(Duration.ofHours(1)).build();

    /** Values read before this instant (System.nanoTime) are read again before their next use. */
    private volatile long validFrom = System.nanoTime();

    Refreshed(Duration refresh, String what, Reader<K, V> reader) {
        this.refresh = refresh;
        this.what = what;
        this.reader = reader;
    }

    /**
     * Every value read so far is read again by the next batch that needs it, whatever its age; until
     * then a batch fails rather than use it (a caller retries).
     */
    void readAgain() {
        validFrom = System.nanoTime();
    }

    /**
     * Makes every key known, at most the refresh interval old and read since the last {@link #readAgain}.
     * Fails only if a key was never read (or not since then) and cannot be read now.
     */
    Uni<Void> refresh(Collection<K> keys) {
        long now = System.nanoTime();
        long from = validFrom;
        List<Uni<Void>> reads = new ArrayList<>();
        for (K key : keys) {
            Entry<V> before = entries.getIfPresent(key);
            boolean valid = before != null && before.readAtNanos() - from >= 0;
            if (!valid || now - before.readAtNanos() >= refresh.toNanos()) {
                Uni<Void> read = reader.read(key, before).invoke(value -> keepNewer(key, new Entry<>(value, now)))
                        .replaceWithVoid();
                reads.add(!valid ? read : read.onFailure().recoverWithItem(failure -> {
                    LOG.debugf("re-reading the %s of %s failed, keeping the last one: %s", what, key, failure.toString());
                    return null;
                }));
            }
        }
        return reads.isEmpty() ? Uni.createFrom().voidItem() : Uni.join().all(reads).andFailFast().replaceWithVoid();
    }

    /**
     * Two batches may read one key at once; the read begun later saw at least as much (a layout only grows), so
     * a read begun earlier and answered later must not put its older value back over it.
     */
    private void keepNewer(K key, Entry<V> read) {
        entries.asMap().merge(key, read, (kept, fresh) -> fresh.readAtNanos() - kept.readAtNanos() >= 0 ? fresh : kept);
    }

    /** The last value read for the key, or null if it was never read (or not for an hour). */
    V get(K key) {
        Entry<V> entry = entries.getIfPresent(key);
        return entry == null ? null : entry.value();
    }
}
