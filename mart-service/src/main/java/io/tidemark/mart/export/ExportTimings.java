package io.tidemark.mart.export;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Where an export's time goes, step by step ({@code tidemark.mart.export.step}, tag {@code step}): reading
 * Cassandra, the sorted event files, each rollup, the summary, the bucket, the swap, the week rollups and
 * the ledgers. An operator sees which rollup a slow export pays for; bench/run mart prints the shares.
 */
@ApplicationScoped
public class ExportTimings {

    private final MeterRegistry registry;
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    public ExportTimings(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Records the time since {@code startedNanos} (a {@link System#nanoTime()}) for {@code step}; returns now. */
    public long record(String step, long startedNanos) {
        long now = System.nanoTime();
        timers.computeIfAbsent(step, s -> Timer.builder("tidemark.mart.export.step")
                .description("Time an export spends in each step, summed over days").tag("step", s).register(registry))
                .record(now - startedNanos, TimeUnit.NANOSECONDS);
        return now;
    }
}
