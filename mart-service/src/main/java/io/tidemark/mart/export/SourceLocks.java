package io.tidemark.mart.export;

import jakarta.enterprise.context.ApplicationScoped;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Orders this process's export of a source against its mirror refresh of the same source: the
 * refresh skips a source this replica is exporting (it writes those days itself) instead of
 * fetching a generation it is about to replace.
 */
@ApplicationScoped
public class SourceLocks {

    private final ConcurrentMap<String, Lock> locks = new ConcurrentHashMap<>();

    public Lock of(String source) {
        return locks.computeIfAbsent(source, s -> new ReentrantLock());
    }
}
