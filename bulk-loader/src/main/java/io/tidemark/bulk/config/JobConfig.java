package io.tidemark.bulk.config;

import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One load job, read from its mapping file ({@code <job>.yaml}): where the rows come from, how a row
 * becomes a Segment event, where the events go, and how windows and the watermark behave.
 * Secrets are never in the file: it names the environment variables that hold them.
 */
public record JobConfig(String job, Source source, Mapping mapping, Ingest ingest, Window window, Watermark watermark) {

    public JobConfig {
        require(job != null && !job.isBlank(), "job", "is required");
        require(source != null, "source", "is required");
        require(mapping != null, "mapping", "is required");
        ingest = ingest == null ? new Ingest(null, null, null, null, null, null, null, null) : ingest;
        window = window == null ? new Window(null, null, null) : window;
        watermark = watermark == null ? new Watermark(null, null, null, null, null) : watermark;
    }

    /**
     * The table (or query) the rows come from. {@code query} must contain {@code :from} and {@code :to}.
     * {@code read-timeout} bounds each wait for the database: a window's first rows (after any sort the query
     * needs) and each fetch after them.
     */
    public record Source(String jdbcUrl, String user, String passwordEnv, String query, String table, List<String> key,
            String version, Integer fetchSize, String textEncoding, Duration readTimeout) {

        public Source {
            require(jdbcUrl != null && jdbcUrl.startsWith("jdbc:"), "source.jdbc-url", "must be a jdbc: URL");
            require(query != null && !query.isBlank(), "source.query", "is required");
            require(table != null && !table.isBlank(), "source.table", "is required: it names the rows in messageIds");
            require(key != null && !key.isEmpty(), "source.key", "needs at least one primary key column");
            // Ten round trips fewer per 10,000 rows: the cursor's thread also maps, so each fetch is time it waits
            // (bench/run bulk: 0.43 to 0.57 of the file path's rate); the driver holds the fetched rows as bytes, about 1.5 MB.
            fetchSize = fetchSize == null ? 10_000 : fetchSize;
            require(fetchSize > 0, "source.fetch-size", "must be positive");
            // A database that stops answering (a failover, a dropped route, a stopped server) leaves a read
            // waiting for ever without one. Ten minutes leave room for a sort of a large window.
            readTimeout = readTimeout == null ? Duration.ofMinutes(10) : readTimeout;
            require(!readTimeout.isNegative() && !readTimeout.isZero(), "source.read-timeout", "must be positive, e.g. PT10M");
            if (textEncoding != null) {
                require(jdbcUrl.startsWith("jdbc:postgresql:"), "source.text-encoding",
                        "is for a PostgreSQL database whose server_encoding is SQL_ASCII");
                require(isCharset(textEncoding), "source.text-encoding",
                        "'" + textEncoding + "' is not a character set this JVM knows, e.g. windows-1252 or ISO-8859-15");
            }
        }

        private static boolean isCharset(String name) {
            try {
                return Charset.isSupported(name);
            } catch (IllegalCharsetNameException e) {
                return false;
            }
        }
    }

    /**
     * Columns to event fields. {@code event} is a fixed name, {@code event-column} takes it from a column.
     * Every other column becomes a property (traits for identify and group) under its own name, unless
     * renamed or excluded. A group call takes its {@code groupId} from the {@code group-id} column.
     */
    public record Mapping(String type, String event, String eventColumn, String userId, String anonymousId,
            String timestamp, Map<String, String> rename, List<String> exclude, Map<String, Object> context,
            Map<String, String> contextColumns, String groupId) {

        public Mapping {
            type = type == null ? "track" : type;
            require(List.of("track", "identify", "page", "screen", "group").contains(type), "mapping.type",
                    "must be track, identify, page, screen or group");
            require(!"track".equals(type) || event != null || eventColumn != null, "mapping.event",
                    "a track event needs event or event-column");
            require(event == null || eventColumn == null, "mapping.event", "give event or event-column, not both");
            require(userId != null || anonymousId != null, "mapping.user-id", "name a user-id or anonymous-id column");
            require(timestamp != null, "mapping.timestamp", "name the column holding the event time");
            // ingest refuses a group call without one: every row would be parked.
            require(!"group".equals(type) || groupId != null, "mapping.group-id", "a group call needs the column holding"
                    + " the groupId");
            require("group".equals(type) || groupId == null, "mapping.group-id", "is only for type group");
            rename = rename == null ? Map.of() : Map.copyOf(rename);
            exclude = exclude == null ? List.of() : List.copyOf(exclude);
            context = context == null ? Map.of() : context;
            contextColumns = contextColumns == null ? Map.of() : Map.copyOf(contextColumns);
        }
    }

    /**
     * ingest's bulk import: a chunk is sent when it has {@code chunk-rows} rows or {@code chunk-bytes} bytes;
     * at most {@code in-flight-chunks} chunks are sent and not yet answered at once. A chunk is tried
     * {@code max-attempts} times through failures (503, 408, 5xx, a dropped connection); answered 429
     * (ingest busy with other imports, or the source's rate limit) it waits its turn for up to
     * {@code busy-wait}, without counting attempts.
     */
    public record Ingest(String url, String writeKeyEnv, Integer chunkRows, Integer chunkBytes, Integer maxAttempts,
            Duration timeout, Integer inFlightChunks, Duration busyWait) {

        public Ingest {
            url = url == null ? "http://127.0.0.1:8080" : url.replaceAll("/+$", "");
            writeKeyEnv = writeKeyEnv == null ? "TIDEMARK_WRITE_KEY" : writeKeyEnv;
            chunkRows = chunkRows == null ? 10_000 : chunkRows;
            // Well under ingest's 1 GB import limit, and small enough that a failed chunk is cheap to resend.
            chunkBytes = chunkBytes == null ? 4 * 1024 * 1024 : chunkBytes;
            maxAttempts = maxAttempts == null ? 5 : maxAttempts;
            timeout = timeout == null ? Duration.ofMinutes(5) : timeout;
            // ingest runs two imports at once (tidemark.ingest.importing.max-concurrent) and answers a third 429.
            inFlightChunks = inFlightChunks == null ? 2 : inFlightChunks;
            // Two loaders sharing ingest's two import slots take turns of a chunk each; five attempts 5 s
            // apart (ingest's Retry-After) failed the second one in 20 s.
            busyWait = busyWait == null ? Duration.ofMinutes(15) : busyWait;
            require(chunkRows > 0 && chunkBytes > 0 && maxAttempts > 0 && inFlightChunks > 0, "ingest",
                    "chunk-rows, chunk-bytes, max-attempts and in-flight-chunks must be positive");
            require(!busyWait.isNegative(), "ingest.busy-wait", "must not be negative");
        }
    }

    /**
     * Windows without {@code --from/--to}: from the watermark (or {@code start} before the first run) to now
     * minus {@code lag}, in steps of {@code step}; the watermark advances after each step.
     */
    public record Window(Instant start, Duration lag, Duration step) {

        public Window {
            // Rows stamped by transactions still open when the window closes commit later with an older
            // updated_at: the lag must exceed the source's longest write transaction.
            lag = lag == null ? Duration.ofMinutes(5) : lag;
            step = step == null ? Duration.ofDays(1) : step;
            require(!lag.isNegative() && !step.isNegative() && !step.isZero(), "window", "lag must be >= 0, step > 0");
        }
    }

    /**
     * The pipeline's Cassandra, where {@code bulk_watermarks} lives. A cluster that asks for a login gets
     * {@code username} and the password in the environment variable {@code password-env}.
     */
    public record Watermark(String contactPoints, String localDatacenter, String keyspace, String username,
            String passwordEnv) {

        public Watermark {
            contactPoints = contactPoints == null ? "127.0.0.1:9042" : contactPoints;
            localDatacenter = localDatacenter == null ? "datacenter1" : localDatacenter;
            keyspace = keyspace == null ? "tidemark" : keyspace;
            passwordEnv = passwordEnv == null ? "TIDEMARK_CASSANDRA_PASSWORD" : passwordEnv;
            require(username == null || !username.isBlank(), "watermark.username", "must not be blank");
        }
    }

    private static void require(boolean condition, String field, String reason) {
        if (!condition) {
            throw new JobConfigException(field + ": " + reason);
        }
    }
}
