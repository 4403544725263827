package io.tidemark.mart.rest;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/**
 * S3Proxy with one day already in the bucket, as another writer (or this service before its disk
 * was lost) left it: Parquet objects of one generation and the day's manifest, made here with
 * DuckDB from the documented layout, not by the service.
 */
public class SeededBucket implements QuarkusTestResourceLifecycleManager {

    static final String SOURCE = "mart-seeded-" + UUID.randomUUID().toString().substring(0, 8);
    static final String DAY = "2026-11-05";

    private final S3ProxyResource server = new S3ProxyResource();

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(server.start());
        try (S3Client s3 = S3ProxyResource.client(URI.create(config.get("tidemark.mart.store.s3.endpoint")))) {
            putDay(s3, SOURCE, DAY, "0123456789abcdef0123456789abcdef", "(TIMESTAMPTZ '" + DAY + " 08:00:00+00', 'm-1', 'track', 'Viewed', 'u-1', NULL),"
                    + "(TIMESTAMPTZ '" + DAY + " 09:00:00+00', 'm-2', 'track', 'Viewed', 'u-2', NULL),"
                    + "(TIMESTAMPTZ '" + DAY + " 10:00:00+00', 'm-3', 'track', 'Bought', 'u-1', NULL)");
        } catch (Exception e) {
            server.stop();
            throw new IllegalStateException("cannot seed the bucket", e);
        }
        return config;
    }

    /**
     * Commits one generation of a day as a writer does: its objects, then its manifest. {@code rows} are
     * SQL value tuples {@code (event_time, message_id, type, event, user_id, anonymous_id)}.
     */
    static void putDay(S3Client s3, String source, String day, String generation, String rows) throws Exception {
        Path dir = Files.createTempDirectory("tidemark-seed-");
        Path part = dir.resolve("part.parquet");
        Path rollup = dir.resolve("rollup.parquet");
        try (Connection duck = new org.duckdb.DuckDBDriver().connect("jdbc:duckdb:", new Properties());
                Statement sql = duck.createStatement()) {
            sql.execute("SET TimeZone = 'UTC'");
            sql.execute("CREATE TABLE day AS SELECT * FROM (VALUES " + rows + ") "
                    + "AS t(event_time, message_id, type, event, user_id, anonymous_id)");
            sql.execute("COPY (SELECT * FROM day ORDER BY event_time) TO '" + part + "' (FORMAT parquet)");
            sql.execute("COPY (SELECT DISTINCT (md5_number_lower(user_id)::HUGEINT - 9223372036854775808)::BIGINT "
                    + "AS user_hash FROM day ORDER BY 1) TO '" + rollup + "' (FORMAT parquet)");
        }
        String dayKey = "marts/source=" + source + "/event_date=" + day + "/";
        s3.putObject(r -> r.bucket(S3ProxyResource.BUCKET).key(dayKey + "part-00000-g" + generation + ".parquet"),
                RequestBody.fromFile(part));
        s3.putObject(r -> r.bucket(S3ProxyResource.BUCKET).key(dayKey + "_distinct_users-g" + generation + ".rollup"),
                RequestBody.fromFile(rollup));
        s3.putObject(r -> r.bucket(S3ProxyResource.BUCKET)
                        .key("marts/source=" + source + "/_manifests/event_date=" + day + ".json"),
                RequestBody.fromString("{\"generation\":\"" + generation + "\",\"files\":"
                        + "[\"part-00000.parquet\",\"_distinct_users.rollup\"]}"));
        Files.delete(part);
        Files.delete(rollup);
        Files.delete(dir);
    }

    @Override
    public void stop() {
        server.stop();
    }
}
