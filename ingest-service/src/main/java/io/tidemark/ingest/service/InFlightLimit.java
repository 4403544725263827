package io.tidemark.ingest.service;

import io.tidemark.ingest.config.IngestConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts events handed to Kafka and not yet acknowledged. Above the limit the producer is saturated
 * (Kafka slow or gone): new requests are answered 503 at once rather than queued into a hang.
 */
@ApplicationScoped
public class InFlightLimit {

    private final AtomicLong inFlight = new AtomicLong();
    private final long max;

    public InFlightLimit(IngestConfig config) {
        this.max = config.maxInFlightEvents();
    }

    /** Reserves room for {@code events}, or throws {@link ProducerSaturatedException}. */
    public void acquire(int events) {
        if (inFlight.addAndGet(events) > max) {
            inFlight.addAndGet(-events);
            throw new ProducerSaturatedException(max);
        }
    }

    public void release(int events) {
        inFlight.addAndGet(-events);
    }
}
