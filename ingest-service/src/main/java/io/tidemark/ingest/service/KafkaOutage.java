package io.tidemark.ingest.service;

import io.tidemark.ingest.config.IngestConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import io.tidemark.ingest.service.rejection.EventNotStoredException;

/**
 * Remembers that Kafka just failed to acknowledge, so that the requests right after it are answered
 * 503 at once instead of each waiting out the ack timeout. After the Retry-After interval requests
 * go through again and the first success clears the outage.
 */
@ApplicationScoped
public class KafkaOutage {

    private static final long NONE = Long.MIN_VALUE;
    private final AtomicLong failedAt = new AtomicLong(NONE);
    private final long holdNanos;

    public KafkaOutage(IngestConfig config) {
        this.holdNanos = Duration.ofSeconds(config.retryAfterSeconds()).toNanos();
    }

    /** Throws {@link EventNotStoredException} while a recent failure is not yet followed by a success. */
    public void check() {
        long since = failedAt.get();
        if (since != NONE && System.nanoTime() - since < holdNanos) {
            throw new EventNotStoredException(new IllegalStateException("Kafka failed to acknowledge moments ago"));
        }
    }

    public void failed() {
        failedAt.set(System.nanoTime());
    }

    public void succeeded() {
        if (failedAt.get() != NONE) {
            failedAt.set(NONE);
        }
    }
}
