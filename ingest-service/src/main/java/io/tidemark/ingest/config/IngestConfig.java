package io.tidemark.ingest.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Settings of the collection front door. */
@ConfigMapping(prefix = "tidemark.ingest")
public interface IngestConfig {

    /** The sources events are collected for, by source id. */
    Map<String, SourceConfig> sources();

    /** How far ahead of the receive time an event time may lie before it is clamped. */
    @WithDefault("PT10M")
    Duration futureTolerance();

    /** How long a request may wait for Kafka's acknowledgement before it is answered 503. */
    @WithDefault("PT10S")
    Duration ackTimeout();

    /** Seconds a client is told to wait (Retry-After) when Kafka cannot take the event. */
    @WithDefault("5")
    int retryAfterSeconds();

    /** Longest accepted messageId, userId, anonymousId or event name, in characters. */
    @WithDefault("256")
    int maxIdLength();

    /** One source: who may write to it. */
    interface SourceConfig {
        /** Write keys that authenticate as this source; secrets in production. */
        List<String> writeKeys();
    }
}
