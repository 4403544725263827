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
     * Cassandra requests one batch keeps in flight (a raw partition has up to
     * {@code pipeline.depth} batches in flight); the bound keeps memory and the database's queue
     * small while still overlapping round trips.
     */
    @WithDefault("96")
    int concurrency();

    /**
     * Messages of one ledger partition looked up by one query ({@code IN} list) and claimed by one
     * unlogged batch (a single mutation).
     */
    @WithDefault("100")
    int ledgerBatchSize();

    /**
     * Rows of one index partition (source, day, bucket) written by one unlogged batch, a single
     * mutation; bounded because an event may be up to 32 KB and a mutation must stay well under
     * Cassandra's limit (half a commit log segment).
     */
    @WithDefault("100")
    int rowBatchSize();

    /** How records of one raw partition are cut into batches and overlapped. */
    Pipeline pipeline();

    /** Retries of a Cassandra write; the record is not acknowledged to Kafka until one succeeds. */
    Retry retry();

    /** The in-memory cache of recently stored keys in front of the ledger. */
    Cache cache();

    /** How the event-time index spreads a busy (source, day) over partitions. */
    Index index();

    /** How the dedup ledger spreads a busy source's claims over partitions. */
    Claims claims();

    /** How a stopping instance (SIGTERM: a rolling update, a scale-down) finishes the records it took. */
    Drain drain();

    interface Drain {
        /**
         * Longest a stop waits for the records taken to be stored and acknowledged. What is not done by
         * then is redelivered to the partitions' next owner, as after a crash. With the consumers' close
         * after it (about half a second each), it stays well within the Deployment's 60 s grace period.
         */
        @WithDefault("PT20S")
        Duration timeout();

        /**
         * How long every pipeline must be idle, with no record handed over, before the drain is over:
         * three poll timeouts, so that the records of a poll in progress when fetching was paused are in.
         */
        @WithDefault("PT0.3S")
        Duration quietPeriod();
    }

    interface Pipeline {
        /**
         * Batches of one raw partition in flight at once (one claiming, the others writing): more
         * hides more round trips, each costs up to {@code concurrency} Cassandra requests.
         */
        @WithDefault("3")
        int depth();

        /** Records in one batch at most; bigger batches share more of each Cassandra request. */
        @WithDefault("500")
        int maxBatchSize();

        /** Records of one raw partition buffered while every batch slot is busy; then the consumer waits. */
        @WithDefault("500")
        int maxPending();

        /**
         * Payload bytes in one batch at most (a batch always takes one record): with {@code depth}, what
         * one raw partition has in flight, decoded, whatever the size of its events. Small because a
         * decoded event can take many times its bytes.
         */
        @WithDefault("327680")
        long maxBatchBytes();

        /**
         * Payload bytes of one raw partition buffered while every batch slot is busy; then the consumer
         * waits. Like {@code max-pending}, but for events near ingest's 32 KB limit.
         */
        @WithDefault("1048576")
        long maxPendingBytes();

        /**
         * How long the first record of a batch may wait for more before a batch smaller than
         * {@code max-batch-size} is cut. A batch fans out into a Cassandra request per claim partition
         * and per index partition it touches, so batches of a few records cost nearly a request each.
         */
        @WithDefault("PT0.1S")
        Duration linger();

        /**
         * How long a consumer whose raw partitions are taken away waits, in the rebalance, for the batch
         * each was claiming to have its claims written, so the next owner's lookups see them. Claims take
         * milliseconds; the wait runs out only while Cassandra is away, and then the rebalance goes on.
         */
        @WithDefault("PT10S")
        Duration revokeWait();
    }

    interface Retry {
        @WithDefault("PT0.2S")
        Duration initialBackoff();

        @WithDefault("PT10S")
        Duration maxBackoff();
    }

    interface Index {
        /**
         * Bytes an index partition should stay under (Cassandra's guidance is about 100 MB): a day gets
         * more buckets once its projected bytes would put a quarter of this into each.
         */
        @WithDefault("67108864")
        long partitionTarget();

        /** How often a host re-reads the layout and stored bytes of a day it writes to. */
        @WithDefault("PT10S")
        Duration layoutRefresh();

        /**
         * How far ahead the bytes of a past day (late events, a backfill) are projected at the rate they
         * arrive, to size its buckets before they fill; today's are projected to the day's end.
         */
        @WithDefault("PT1H")
        Duration pastDayHorizon();
    }

    interface Claims {
        /**
         * Bytes a ledger partition should stay under: a source gets more claim buckets once the claims
         * its window will hold would put a quarter of this into each.
         */
        @WithDefault("67108864")
        long partitionTarget();

        /** How often a host re-reads the claim layouts and claim counts of a source it claims for. */
        @WithDefault("PT10S")
        Duration layoutRefresh();
    }

    interface Cache {
        /** Keys remembered at most; about 100 bytes each. */
        @WithDefault("100000")
        long maximumSize();

        /** How long a key is remembered; capped by {@link DedupConfig#window()}. */
        @WithDefault("PT1H")
        Duration expireAfterWrite();
    }
}
