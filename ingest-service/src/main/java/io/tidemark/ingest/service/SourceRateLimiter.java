package io.tidemark.ingest.service;

import io.tidemark.ingest.config.IngestConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.HashMap;
import java.util.Map;
import io.tidemark.ingest.service.rejection.RateLimitExceededException;

/** Applies each source's configured events-per-second limit; sources without one are not limited. */
@ApplicationScoped
public class SourceRateLimiter {

    private final Map<String, TokenBucket> buckets = new HashMap<>();

    public SourceRateLimiter(IngestConfig config) {
        config.sources().forEach((source, settings) -> settings.rateLimit().ifPresent(limit -> {
            double burst = limit.burst().map(Integer::doubleValue).orElse(Math.max(1d, limit.eventsPerSecond()));
            buckets.put(source, new TokenBucket(limit.eventsPerSecond(), burst, System::nanoTime));
        }));
    }

    /** Lets {@code events} events of {@code source} through, or throws naming when to retry. */
    public void admit(String source, int events) {
        TokenBucket bucket = buckets.get(source);
        if (bucket == null) {
            return;
        }
        long retryAfter = bucket.tryTake(events);
        if (retryAfter > 0) {
            throw new RateLimitExceededException(source, retryAfter);
        }
    }
}
