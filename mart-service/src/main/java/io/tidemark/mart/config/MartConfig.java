package io.tidemark.mart.config;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.tidemark.mart.layout.ParquetFormat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/** Settings of the Parquet marts, their export and the dashboard API. */
@ConfigMapping(prefix = "tidemark.mart")
public interface MartConfig {

    /**
     * Bearer tokens of the dashboard API by a name of the operator's choice
     * ({@code tidemark.mart.tokens.<name>.token}); secrets in production, where none is configured
     * by default and the service refuses to start without one.
     */
    Map<String, Token> tokens();

    /** The longest date range one query may ask for, in days. */
    @WithDefault("366")
    int maxRangeDays();

    /** The most rows a top-events answer may have. */
    @WithDefault("100")
    int maxTopEvents();

    /** The most values a breakdown ({@code by=}) may name, besides other and missing ({@code values}). */
    @WithDefault("50")
    int maxBreakdownValues();

    Export export();

    Breakdown breakdown();

    /** Breakdowns ({@code by=}). */
    interface Breakdown {

        /**
         * The {@code by=} paths whose per-day (value, events, distinct users) every export writes into
         * the day's breakdown rollup, so a breakdown by one of them without {@code event} reads a few rows
         * per day instead of every event's JSON. Other paths are answered from the event files.
         */
        @WithDefault("context.os.name,context.device.type")
        List<String> rollupPaths();
    }

    Lateness lateness();

    Retention retention();

    Funnel funnel();

    /** Ordered-step funnels. */
    interface Funnel {

        /** The most steps a funnel may have. */
        @WithDefault("10")
        int maxSteps();

        /** The longest conversion window ({@code within}). */
        @WithDefault("30d")
        Duration maxWithin();
    }

    /** Cohort retention. */
    interface Retention {

        /**
         * How many days before the first cohort a user's earlier activity is looked for: a user seen
         * in them is not new, so it joins no cohort. Activity before them is not read.
         */
        @WithDefault("90")
        int lookbackDays();

        /** The most periods after its own a cohort may be followed for ({@code periods}). */
        @WithDefault("60")
        int maxPeriods();
    }

    /** How late events arrive, and when a day's numbers are final. */
    interface Lateness {

        /**
         * How many of the source's latest complete UTC days (those exported with a lateness rollup)
         * the p99 and p99.9 arrival delays are measured over.
         */
        @WithDefault("30")
        int windowDays();

        /** How long after its end a day becomes final while the window has no event with a known delay. */
        @WithDefault("7d")
        Duration fallbackFinalAfter();
    }

    /** One dashboard API token: what it reads and whether it may run exports. */
    interface Token {

        /** The secret a caller sends as {@code Authorization: Bearer <token>}. */
        String token();

        /** The sources this token reads; {@code *} for every source. */
        @WithDefault("*")
        Set<String> sources();

        /** Whether the token may also run exports and read the export ledger ({@code /api/v1/exports}). */
        @WithDefault("false")
        boolean operator();
    }

    DuckDb duckdb();

    Store store();

    Cassandra cassandra();

    /** How the mart reads (and records in) Cassandra. */
    interface Cassandra {

        /**
         * Consistency of the mart's reads of the event-time index and of both ledgers, and of its
         * ledger writes. dedup writes at LOCAL_QUORUM, so LOCAL_QUORUM reads see every event dedup
         * acknowledged; the driver's own default, LOCAL_ONE, may miss some on a lagging replica.
         */
        @WithDefault("LOCAL_QUORUM")
        DefaultConsistencyLevel consistency();
    }

    /** How (source, day) partitions become Parquet files. */
    interface Export {

        /** How often changed days are exported (a Quarkus scheduler period such as 5m; "off" disables it). */
        @WithDefault("5m")
        String every();

        /** How long after start the first periodic export runs, so a starting service answers first. */
        @WithDefault("30s")
        String firstDelay();

        /** The mart root directory: {@code <root>/source=<id>/event_date=YYYY-MM-DD/part-NNNNN.parquet}. */
        Path root();

        /** Only these sources are exported; all sources when absent. */
        Optional<Set<String>> sources();

        /** Whether this service exports (and mirrors) the source: all, unless {@code sources} names some. */
        default boolean exports(String source) {
            return sources().map(allowed -> allowed.contains(source)).orElse(true);
        }

        /** A day larger than this is split into files near this size. */
        @WithDefault("268435456")
        long targetFileBytes();

        /** Rows per Parquet row group: small enough that min/max event_time statistics let readers skip groups. */
        @WithDefault("100000")
        int rowGroupRows();

        /** The format of the files a day is written in. */
        Parquet parquet();

        /**
         * How long a stop (SIGTERM) waits for the day being exported, so the export ends between days
         * and gives its lease back; within the pod's grace period, after the shutdown delay and timeout.
         */
        @WithDefault("30s")
        Duration stopTimeout();

        /** The Retry-After of an export asked for while a cycle runs (429). */
        @WithDefault("30s")
        Duration busyRetryAfter();

        /** Cassandra page size while reading a day. */
        @WithDefault("5000")
        int pageSize();

        /**
         * How long Cassandra keeps an event's row from its write: dedup-service's
         * {@code tidemark.dedup.event-ttl}, which must not be longer. A day whose rows may have begun to
         * expire (its start, less a day for events stamped ahead of the clock, is further back than this)
         * is exported from the rows read and the rows of its files in place that Cassandra no longer holds,
         * so a late event for it, or a lost ledger entry, never rewrites it smaller.
         */
        @WithDefault("P400D")
        Duration rowsExpireAfter();

        /**
         * Lanes a day is read and written in at once, each on a thread of its own: the day's buckets
         * decoded from Cassandra, and its hour slices written to files. Absent, one per processor the
         * JVM may use (a container's CPU limit).
         */
        OptionalInt lanes();

        Lease lease();

        /**
         * Test only: a pause before each day's export, so a test can kill a replica in the middle of a
         * source. Absent in every shipped profile.
         */
        Optional<Duration> dayDelay();

        /** See {@link ParquetFormat}. */
        interface Parquet {

            /** V2 unless a reader of the files predates its encodings (Spark before 3.3, among others): then V1. */
            @WithDefault("V2")
            ParquetFormat.Version version();

            /** zstd's level, 1 to 22: higher is smaller and slower to write. */
            @WithDefault("1")
            int zstdLevel();

            default ParquetFormat format() {
                return new ParquetFormat(version(), zstdLevel());
            }
        }

        /** The per-source export lease that lets several replicas share the exports (tidemark.mart_export_leases). */
        interface Lease {

            /**
             * How long a lease lives without renewal: the longest a dead replica's source waits for
             * another replica. It must exceed {@code renew-every} by several Cassandra timeouts.
             */
            @WithDefault("60s")
            Duration ttl();

            /** How often a replica renews the lease of the source it exports. */
            @WithDefault("15s")
            Duration renewEvery();

            /** This replica's name in the lease table; the host name plus a random suffix when absent. */
            Optional<String> owner();
        }
    }

    /**
     * Where the marts are kept. {@code local}: the export root is the store. {@code s3}: the export
     * root is this process's mirror of an S3-compatible bucket; exports are uploaded to the bucket,
     * and every export cycle brings the mirror up to date with the bucket's day manifests.
     */
    interface Store {

        /** {@code local} or {@code s3}. */
        enum Kind {
            LOCAL, S3
        }

        @WithDefault("local")
        Kind kind();

        /**
         * With {@code kind=s3}: how often this replica reads the export ledger (one partition per
         * source) and fetches from the bucket the days another replica exported; a Quarkus scheduler
         * period, "off" disables it.
         */
        @WithDefault("5s")
        String refreshEvery();

        S3 s3();

        /** The bucket of {@code kind=s3}. */
        interface S3 {

            /** The endpoint of an S3-compatible server (MinIO, S3Proxy, Ceph); AWS's own when absent. */
            Optional<java.net.URI> endpoint();

            @WithDefault("us-east-1")
            String region();

            /** Required with {@code kind=s3}. */
            Optional<String> bucket();

            /** A key prefix under which the Hive layout starts, e.g. {@code marts/}; the bucket's root when absent. */
            Optional<String> prefix();

            /** Static credentials; the SDK's default chain (environment, profile, instance role) when absent. */
            Optional<String> accessKeyId();

            Optional<String> secretAccessKey();

            /** Path-style URLs ({@code endpoint/bucket/key}), which most S3-compatible servers need. */
            @WithDefault("true")
            boolean pathStyle();
        }
    }

    /** The embedded DuckDB engine that writes and reads the marts. */
    interface DuckDb {

        /** The queries' DuckDB memory limit; it spills to {@code <root>/_tmp} beyond it. */
        @WithDefault("512MB")
        String memoryLimit();

        /** DuckDB worker threads per query. */
        @WithDefault("2")
        int threads();

        /** The exports' own DuckDB database (DuckDbEngine says why it is apart). */
        Export export();

        interface Export {

            /** Its memory limit, for the days held while they are read and written; it spills to {@code <root>/_tmp-export}. */
            @WithDefault("512MB")
            String memoryLimit();

            /**
             * DuckDB worker threads per export statement. One: the export runs its slices and days side by
             * side instead, which costs no CPU in waiting for a statement's own threads.
             */
            @WithDefault("1")
            int threads();
        }

        /** Queries that may run at once; each holds one DuckDB connection on a worker thread. */
        @WithDefault("4")
        int queryConcurrency();

        /** Queries that may wait for a free worker; beyond them a query is answered 503 at once. */
        @WithDefault("16")
        int queryQueue();

        /** The longest a query may wait and run together; then it is cancelled and answered 503. */
        @WithDefault("30s")
        Duration queryTimeout();

        /** The Retry-After of a query refused because the queue is full or it timed out (503). */
        @WithDefault("5s")
        Duration busyRetryAfter();

        /**
         * DuckDB's {@code max_temp_directory_size}, of each of the two databases (queries in {@code <root>/_tmp},
         * exports in {@code <root>/_tmp-export}): their spills together take up to twice this on the marts volume.
         */
        @WithDefault("10GiB")
        String maxTempDirectorySize();
    }
}
