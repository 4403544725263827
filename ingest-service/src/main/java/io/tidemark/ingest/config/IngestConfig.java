package io.tidemark.ingest.config;

import io.smallrye.config.ConfigMapping;
import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Settings of the collection front door. */
@ConfigMapping(prefix = "tidemark.ingest")
public interface IngestConfig {

    /** The sources events are collected for, by source id. */
    Map<String, SourceConfig> sources();

    /** How far ahead of the receive time an event time may lie before it is clamped. */
    @WithDefault("PT10M")
    Duration futureTolerance();

    /**
     * The oldest event time accepted, counted back from the receive time: older events are refused
     * (named in the answer and parked on the dead-letter topic), never stored on a day the event-time
     * index (400-day TTL) and the marts no longer keep. Raise it for a backfill of older history. It also
     * bounds the queue a batch-closing SDK's late {@code sentAt} is taken for (row 5 of the README's "Event
     * time"): one further behind is a clock reset and is corrected, so lowering it moves the events of a phone
     * offline for longer than it to their upload day instead of refusing them.
     */
    @WithDefault("P400D")
    Duration maxEventAge();

    /**
     * A {@code sentAt} this close to the receive time is transit, not a wrong client clock: the client's
     * time is kept as it is rather than shifted by the transit time.
     */
    @WithDefault("PT5S")
    Duration clockTolerance();

    /**
     * {@code context.library.name} of the SDKs that stamp {@code sentAt} when they close a batch rather
     * than when they send it: mobile SDKs that keep batches in files while offline, and analytics-java,
     * which sends a retried batch with its first sentAt. A late {@code sentAt} from them is taken for
     * queueing, not for a slow clock (README, "Event time").
     */
    @WithDefault("analytics-kotlin,analytics-android,analytics-swift,analytics-ios,analytics-react-native,analytics-flutter,analytics-java")
    Set<String> batchStampingLibraries();

    /** What SDKs are told by the settings endpoint, and how their traffic is counted. */
    Sdk sdk();

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

    /**
     * Bytes of encoded records sent to Kafka and not yet acknowledged, across all requests, above which
     * new requests are answered 503 at once. The producer holds those records in its buffer (its
     * buffer.memory, 16 MB, on the heap) until Kafka acknowledges them, so a few large events must not
     * fill it where many small ones would be stopped by the event limit: past this budget a caller gets a
     * quick 503 instead of waiting max.block.ms for buffer room.
     */
    @WithDefault("16M")
    MemorySize maxInFlightBytes();

    /**
     * Bytes of request bodies that may be buffered at once, across all connections, before they are
     * parsed (a bulk import streams and is not counted). Each body is buffered whole, and a client
     * that sends all of a 500 KB body but its last byte holds that buffer until the read deadline:
     * 210 such connections would fill the 104 MB heap of src/main/jvm/jvm.options. Beyond this budget
     * a new request is answered 503 with Retry-After before a byte of its body is read. 16 MB is 32
     * maximal bodies at once (full load, 64 connections of 30 KB batches, holds about 2 MB) and, with
     * the producer's 16 MB buffer and the ~20 MB that stay live, leaves 50 MB of that heap free.
     */
    @WithDefault("16M")
    MemorySize maxBufferedRequestBytes();

    /**
     * How long a request (other than a bulk import, which has its own limits) may take to arrive whole
     * once its headers are in: a body dripped in byte by byte is never idle, so the idle timeout alone
     * would let it hold its connection and its buffer for ever.
     */
    @WithDefault("PT60S")
    Duration requestReadTimeout();

    /** Bulk import of newline-delimited JSON files ({@code POST /bulk/v1/import}). */
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
        @WithDefault("3")
        int maxConcurrent();

        /**
         * Imports of one source running at once, fewer than {@link #maxConcurrent()} so that one source's slow or
         * stuck uploads leave a slot to the others; the bulk loader keeps two chunks in flight by default.
         */
        @WithDefault("2")
        int maxConcurrentPerSource();

        /** Largest import body as received (compressed or not); it is streamed, never held whole. */
        @WithDefault("1G")
        MemorySize maxBytes();

        /** How long an import waits in all for its source's rate limit before it gives up with 429. */
        @WithDefault("PT60S")
        Duration maxRateLimitWait();

        /** A body that sends nothing for this long is abandoned. */
        @WithDefault("PT60S")
        Duration idleTimeout();

        /**
         * Largest import after gzip decompression, in bytes: {@link #maxBytes()} caps only what is
         * received, and a small gzip body can expand a thousandfold.
         */
        @WithDefault("8G")
        MemorySize maxDecompressedBytes();

        /**
         * Longest an import may stream, from its first byte to its answer: an import that never pauses
         * long enough for {@link #idleTimeout()} would otherwise hold its worker thread and its slot
         * among {@link #maxConcurrent()} for ever.
         */
        @WithDefault("PT30M")
        Duration maxDuration();
    }

    interface Sdk {
        /**
         * Host (and port) that SDKs send events to, e.g. {@code collect.example.com}: ingest's public
         * name behind a load balancer. When absent, the host the settings request was addressed to.
         */
        Optional<String> apiHost();

        /** {@code http} or {@code https}; when absent, the scheme the settings request came with. */
        Optional<String> protocol();

        /** How long SDKs and caches may keep the settings document ({@code Cache-Control: max-age}). */
        @WithDefault("PT5M")
        Duration settingsMaxAge();

        /** How long browsers and caches may keep a file of the web tag. */
        @WithDefault("PT1H")
        Duration tagMaxAge();

        /** Client libraries (name and version) counted apart; those beyond are counted as {@code other}. */
        @WithDefault("100")
        int maxLibraries();
    }

    /** A token bucket: {@code eventsPerSecond} refill, up to {@code burst} events at once. */
    interface RateLimit {
        double eventsPerSecond();

        /** Tokens the bucket holds when full; defaults to one second's worth. */
        Optional<Integer> burst();
    }
}
