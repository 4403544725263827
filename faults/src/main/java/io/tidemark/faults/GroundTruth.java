package io.tidemark.faults;

import java.time.LocalDate;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** What the client knows: every messageId it got a 2xx for, with its source and UTC event day. */
final class GroundTruth {

    /** Where an acknowledged event must be counted. */
    record Expected(String source, LocalDate day) {
    }

    private final Map<String, Expected> acknowledged = new ConcurrentHashMap<>();
    private final Map<String, Expected> abandoned = new ConcurrentHashMap<>();
    final AtomicLong requests = new AtomicLong();
    final AtomicLong retries = new AtomicLong();
    final AtomicLong duplicateSends = new AtomicLong();
    final AtomicLong timeouts = new AtomicLong();
    final AtomicLong status429 = new AtomicLong();
    final AtomicLong status5xx = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    /**
     * Requests of new events acknowledged per second of the wall clock: the rate before, during and
     * after a fault. Requests, not events: a burst's batch carries twenty events in one request, so an
     * event rate would swing twentyfold with whether a window held a burst, fault or no fault.
     */
    private final Map<Long, AtomicLong> acksPerSecond = new ConcurrentHashMap<>();

    void acknowledged(String messageId, Expected expected) {
        acknowledged.put(messageId, expected);
        abandoned.remove(messageId);
    }

    /** A request carrying new events (not a resend) got its 2xx. */
    void requestAcknowledged() {
        requestAcknowledged(System.currentTimeMillis() / 1000);
    }

    void requestAcknowledged(long epochSecond) {
        acksPerSecond.computeIfAbsent(epochSecond, k -> new AtomicLong()).incrementAndGet();
    }

    /** Acknowledged requests in the second that starts at {@code epochSecond}. */
    long acksIn(long epochSecond) {
        AtomicLong count = acksPerSecond.get(epochSecond);
        return count == null ? 0 : count.get();
    }

    /** Sent, never acknowledged before the client gave up: may or may not be stored, neither is an error. */
    void abandoned(String messageId, Expected expected) {
        if (!acknowledged.containsKey(messageId)) {
            abandoned.put(messageId, expected);
        }
    }

    Map<String, Expected> acknowledged() {
        return Map.copyOf(acknowledged);
    }

    Map<String, Expected> abandoned() {
        return Map.copyOf(abandoned);
    }
}
