package io.tidemark.dedup.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** Settings of the deduplicating writer. */
@ConfigMapping(prefix = "tidemark.dedup")
public interface DedupConfig {

    /** Retries of a Cassandra write; the record is not acknowledged to Kafka until one succeeds. */
    Retry retry();

    interface Retry {
        @WithDefault("PT0.2S")
        Duration initialBackoff();

        @WithDefault("PT10S")
        Duration maxBackoff();
    }
}
