package io.tidemark.dedup.service;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.tidemark.dedup.config.DedupConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;

/**
 * Keys whose first store finished on this instance recently: a copy found here is dropped without
 * a ledger round trip. Only a hint: a key missing here (evicted, another instance, a restart) is
 * decided by the ledger, so correctness never depends on this cache.
 */
@ApplicationScoped
public class RecentlyStoredKeys {

    private final Cache<String, Boolean> keys;

    public RecentlyStoredKeys(DedupConfig config) {
        Duration expiry = config.cache().expireAfterWrite().compareTo(config.window()) < 0
                ? config.cache().expireAfterWrite()
                : config.window();
        this.keys = Caffeine.newBuilder().maximumSize(config.cache().maximumSize()).expireAfterWrite(expiry).build();
    }

    public boolean contains(String key) {
        return keys.getIfPresent(key) != null;
    }

    /** Called only once the row is written and every later step is done. */
    public void add(String key) {
        keys.put(key, Boolean.TRUE);
    }
}
