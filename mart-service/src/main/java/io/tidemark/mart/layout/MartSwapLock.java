package io.tidemark.mart.layout;

import jakarta.enterprise.context.ApplicationScoped;

import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Orders this process's queries against its day swaps. A swap is two atomic renames (old day
 * aside, new day in); holding the write lock across both means a query of this service sees a
 * day's old files or its new ones, never neither and never both.
 */
@ApplicationScoped
public class MartSwapLock {

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    public Lock reading() {
        return lock.readLock();
    }

    /** Held only by day swaps (and by tests that stand for a long one). */
    public Lock swapping() {
        return lock.writeLock();
    }
}
