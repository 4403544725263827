package io.tidemark.ingest.config;

import io.smallrye.config.ConfigMapping;
import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Settings of the collection front door. */
@ConfigMapping(prefix = "tidemark.ingest")
public interface IngestConfig {

    /** The sources events are collected for, by source id. */
    Map<String, SourceConfig> sources();

    /** How far ahead of the receive time an event time may lie before it is clamped. */
    @WithDefault("PT10M")
    Duration futureTolerance();

    /** How long a request may wait for Kafka's acknowledgement before it is answered 503. */
    @WithDefault("PT5S")
    Duration ackTimeout();

    /** Seconds a client is told to wait (Retry-After) when Kafka cannot take the event. */
    @WithDefault("5")
    int retryAfterSeconds();

    /** Longest accepted messageId, userId, anonymousId or event name, in characters. */
    @WithDefault("256")
    int maxIdLength();

    /** Largest single event, in bytes of JSON (Segment's limit: 32 KB). */
    @WithDefault("32768")
    int maxEventBytes();

    /** Largest request body after decompression, in bytes (Segment's limit: 500 KB). */
    @WithDefault("512000")
    int maxRequestBytes();

    /**
     * Events sent to Kafka and not yet acknowledged, across all requests, above which new requests
     * are answered 503 at once: a saturated producer must not turn into requests that hang.
     */
    @WithDefault("50000")
    int maxInFlightEvents();

    /** Bulk import of newline-delimited JSON files ({@code POST /v1/import}). */
    @WithName("import")
    ImportConfig importing();

    /** One source: who may write to it and how fast. */
    interface SourceConfig {
        /** Write keys that authenticate as this source; secrets in production. */
        List<String> writeKeys();

        /** Events per second this source may send; unlimited when absent. */
        Optional<RateLimit> rateLimit();
    }

    interface ImportConfig {
        /** Lines sent to Kafka as one batch. */
        @WithDefault("500")
        int chunkEvents();

        /** Batches of one import awaiting Kafka's acknowledgement at once. */
        @WithDefault("4")
        int chunksInFlight();

        /** Imports running at once; more are answered 429: each holds a worker thread while it streams. */
        @WithDefault("2")
        int maxConcurrent();

        /** Largest import body as received (compressed or not); it is streamed, never held whole. */
        @WithDefault("1G")
        MemorySize maxBytes();

        /** How long an import waits in all for its source's rate limit before it gives up with 429. */
        @WithDefault("PT60S")
        Duration maxRateLimitWait();

        /** A body that sends nothing for this long is abandoned. */
        @WithDefault("PT60S")
        Duration idleTimeout();
    }

    /** A token bucket: {@code eventsPerSecond} refill, up to {@code burst} events at once. */
    interface RateLimit {
        double eventsPerSecond();

        /** Tokens the bucket holds when full; defaults to one second's worth. */
        Optional<Integer> burst();
    }
}
