package io.tidemark.dedup.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** Settings of the deduplicating writer. */
@ConfigMapping(prefix = "tidemark.dedup")
public interface DedupConfig {

    /**
     * How long a (source, messageId) is remembered: a copy arriving later than this after the first
     * is treated as a new event. It is the TTL of the ledger rows.
     */
    @WithDefault("P30D")
    Duration window();

    /** How long a stored event stays in the event-time index (the TTL of its row). */
    @WithDefault("P400D")
    Duration eventTtl();

    /**
     * Cassandra requests one consumer keeps in flight while it works through a polled batch; the
     * bound keeps memory and the database's queue small while still overlapping round trips.
     */
    @WithDefault("128")
    int concurrency();

    /**
     * Claims of one ledger partition sent as one conditional batch (one Paxos round); kept well under
     * Cassandra's batch size limits.
     */
    @WithDefault("100")
    int claimBatchSize();

    /** Retries of a Cassandra write; the record is not acknowledged to Kafka until one succeeds. */
    Retry retry();

    /** The in-memory cache of recently stored keys in front of the ledger. */
    Cache cache();

    interface Retry {
        @WithDefault("PT0.2S")
        Duration initialBackoff();

        @WithDefault("PT10S")
        Duration maxBackoff();
    }

    interface Cache {
        /** Keys remembered at most; about 100 bytes each. */
        @WithDefault("200000")
        long maximumSize();

        /** How long a key is remembered; capped by {@link DedupConfig#window()}. */
        @WithDefault("PT1H")
        Duration expireAfterWrite();
    }
}
