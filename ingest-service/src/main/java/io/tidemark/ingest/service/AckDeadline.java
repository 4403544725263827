package io.tidemark.ingest.service;

import io.smallrye.mutiny.Uni;
import io.tidemark.ingest.config.IngestConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * Fails a wait for Kafka that outlasts the ack timeout, on timers of its own that are dropped as soon as
 * the acknowledgement comes.
 *
 * <p>Mutiny's {@code ifNoItem().after(…)} schedules on Quarkus's executor, which keeps a cancelled timer
 * until the moment it would have fired. Every request sets one and nearly every one is cancelled within
 * milliseconds, yet a live heap histogram at full load counted about 27,000 such timers: each lived
 * longer than any young collection, was copied into the old generation and helped fill it (issue #20,
 * ingest-service/PERFORMANCE.md). A JDK scheduled pool told to remove on cancel takes a timer out of its
 * queue when the answer comes.
 */
@ApplicationScoped
public class AckDeadline {

    private final Duration timeout;
    private final ScheduledThreadPoolExecutor timers;

    @Inject
    public AckDeadline(IngestConfig config) {
        this(config.ackTimeout());
    }

    AckDeadline(Duration timeout) {
        this.timeout = timeout;
        // One thread: a timer that fires only fails its request; the answer's work is light.
        this.timers = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "ingest-ack-deadline");
            thread.setDaemon(true);
            return thread;
        });
        timers.setRemoveOnCancelPolicy(true);
    }

    /** The same wait, failed with a timeout when it has no item within the ack timeout. */
    public <T> Uni<T> bound(Uni<T> waiting) {
        return waiting.ifNoItem().after(timeout).on(timers).fail();
    }

    /** Timers set and neither fired nor cancelled yet. */
    int pending() {
        return timers.getQueue().size();
    }

    @PreDestroy
    void stop() {
        timers.shutdownNow();
    }
}
