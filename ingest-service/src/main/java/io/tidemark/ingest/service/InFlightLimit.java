package io.tidemark.ingest.service;

import io.tidemark.ingest.config.IngestConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.concurrent.atomic.AtomicLong;
import io.tidemark.ingest.service.rejection.ProducerSaturatedException;

/**
 * Counts events, and the bytes of their encoded records, handed to Kafka and not yet acknowledged.
 * Above either limit the producer is saturated (Kafka slow or gone): new requests are answered 503 at
 * once rather than queued into a hang or into a heap that fills with records waiting for Kafka.
 */
@ApplicationScoped
public class InFlightLimit {

    private final AtomicLong events = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final long maxEvents;
    private final long maxBytes;

    @Inject
    public InFlightLimit(IngestConfig config) {
        this(config.maxInFlightEvents(), config.maxInFlightBytes().asLongValue());
    }

    InFlightLimit(long maxEvents, long maxBytes) {
        this.maxEvents = maxEvents;
        this.maxBytes = maxBytes;
    }

    /** Reserves room for {@code count} events of {@code size} bytes, or throws {@link ProducerSaturatedException}. */
    public void acquire(int count, long size) {
        if (events.addAndGet(count) > maxEvents) {
            events.addAndGet(-count);
            throw new ProducerSaturatedException(maxEvents + " events");
        }
        if (bytes.addAndGet(size) > maxBytes) {
            bytes.addAndGet(-size);
            events.addAndGet(-count);
            throw new ProducerSaturatedException(maxBytes + " bytes of events");
        }
    }

    public void release(int count, long size) {
        events.addAndGet(-count);
        bytes.addAndGet(-size);
    }
}
