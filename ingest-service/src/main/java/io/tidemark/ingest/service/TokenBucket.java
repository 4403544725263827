package io.tidemark.ingest.service;

import java.util.function.LongSupplier;

/**
 * A token bucket that may go into debt: a request is let through while the bucket holds a whole token and
 * takes all it needs, so a batch larger than the burst is not refused forever; the debt delays the
 * next requests instead.
 */
public final class TokenBucket {

    private static final double NANOS_PER_SECOND = 1_000_000_000d;

    private final double ratePerSecond;
    private final double capacity;
    private final LongSupplier nanoClock;
    private double tokens;
    private long lastRefill;

    public TokenBucket(double ratePerSecond, double capacity, LongSupplier nanoClock) {
        if (ratePerSecond <= 0 || capacity <= 0) {
            throw new IllegalArgumentException("rate and capacity must be positive");
        }
        this.ratePerSecond = ratePerSecond;
        this.capacity = capacity;
        this.nanoClock = nanoClock;
        this.tokens = capacity;
        this.lastRefill = nanoClock.getAsLong();
    }

    /**
     * Takes {@code permits} tokens if the bucket holds at least one.
     *
     * @return 0 when granted, else the whole seconds until a token will be there again (at least 1)
     */
    public synchronized long tryTake(int permits) {
        long now = nanoClock.getAsLong();
        tokens = Math.min(capacity, tokens + (now - lastRefill) / NANOS_PER_SECOND * ratePerSecond);
        lastRefill = now;
        if (tokens >= 1) {
            tokens -= permits;
            return 0;
        }
        return Math.max(1, (long) Math.ceil((1 - tokens) / ratePerSecond));
    }
}
