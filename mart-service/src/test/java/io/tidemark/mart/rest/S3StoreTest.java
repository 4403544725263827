package io.tidemark.mart.rest;

import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.tidemark.mart.repository.MartBucket;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static io.tidemark.mart.rest.StoredEvents.TOKEN;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The marts in a real S3-compatible server (S3Proxy, a separate process): uploaded, replaced whole, mirrored back. */
@QuarkusTest
@QuarkusTestResource(TempMartRoot.class)
@QuarkusTestResource(value = S3ProxyResource.class, restrictToAnnotatedClass = true)
class S3StoreTest {

    @Inject
    QuarkusCqlSession session;

    @Inject
    MartBucket bucket;

    @ConfigProperty(name = "tidemark.mart.export.root")
    Path root;

    /**
     * The commit's primitive on the real server: a manifest is replaced only while it is the one read, and created only
     * while there is none, so of two commits that read the same manifest exactly one lands.
     */
    @Test
    void aConditionalPutLandsOnlyOnTheObjectItRead() {
        String key = "conditional-" + UUID.randomUUID() + ".json";
        Optional<MartBucket.Versioned> absent = bucket.getVersioned(key);
        assertTrue(absent.isEmpty());
        assertTrue(bucket.putTextIfUnchanged(key, "{\"n\":1}", absent), "created");
        assertFalse(bucket.putTextIfUnchanged(key, "{\"n\":2}", absent), "a second creation refused");

        Optional<MartBucket.Versioned> first = bucket.getVersioned(key);
        assertEquals("{\"n\":1}", first.orElseThrow().text());
        assertTrue(bucket.putTextIfUnchanged(key, "{\"n\":3}", first), "replaced while unchanged");
        assertFalse(bucket.putTextIfUnchanged(key, "{\"n\":4}", first), "refused once replaced by another");
        assertEquals("{\"n\":3}", bucket.getVersioned(key).orElseThrow().text());
        bucket.delete(key);
    }

    @Test
    void anExportedDayIsInTheBucketUnderItsHiveKeysAndAReExportReplacesItWhole() throws Exception {
        StoredEvents events = new StoredEvents(session);
        events.store("2026-11-01T08:00:00Z", "Viewed", "u-1", null);
        events.store("2026-11-01T09:00:00Z", "Viewed", "u-2", null);
        events.store("2026-11-02T08:00:00Z", "Viewed", "u-1", null);
        assertEquals(2, events.export());

        try (S3Client s3 = S3ProxyResource.client(S3ProxyResource.endpoint())) {
            String day1 = "marts/source=" + events.source + "/event_date=2026-11-01/";
            String day2 = "marts/source=" + events.source + "/event_date=2026-11-02/";
            List<String> first = S3ProxyResource.keys(s3, day1);
            List<String> second = S3ProxyResource.keys(s3, day2);
            assertEquals(4, first.size(), first.toString());
            assertTrue(first.stream().anyMatch(k -> k.matches(".*/part-00000-g[0-9a-f]{32}\\.parquet")), first.toString());
            assertTrue(first.stream().anyMatch(k -> k.matches(".*/_distinct_users-g[0-9a-f]{32}\\.rollup")), first.toString());
            assertTrue(first.stream().anyMatch(k -> k.matches(".*/_lateness-g[0-9a-f]{32}\\.rollup")), first.toString());
            assertTrue(first.stream().anyMatch(k -> k.matches(".*/_breakdowns-g[0-9a-f]{32}\\.rollup")), first.toString());
            assertEquals(2, eventRows(s3, first));
            assertTrue(s3.getObjectAsBytes(r -> r.bucket(S3ProxyResource.BUCKET)
                    .key("marts/source=" + events.source + "/_manifests/event_date=2026-11-01.json")).asUtf8String()
                    .contains(first.get(0).replaceAll(".*-g([0-9a-f]{32}).*", "$1")));

            events.store("2026-11-01T10:00:00Z", "Bought", "u-3", null);
            assertEquals(1, events.export());

            List<String> rewritten = S3ProxyResource.keys(s3, day1);
            assertEquals(4, rewritten.size(), "the old generation is gone: " + rewritten);
            assertTrue(rewritten.stream().noneMatch(first::contains), rewritten + " vs " + first);
            assertEquals(3, eventRows(s3, rewritten));
            assertEquals(second, S3ProxyResource.keys(s3, day2), "an untouched day keeps its objects");
        }
    }

    @Test
    void aMirrorThatLostItsFilesAnswersFromTheBucketWithoutReReadingCassandra() throws Exception {
        StoredEvents events = new StoredEvents(session);
        events.store("2026-11-01T08:00:00Z", "Viewed", "u-1", null);
        events.store("2026-11-02T08:00:00Z", "Viewed", "u-2", null);
        events.store("2026-11-02T09:00:00Z", "Bought", null, "anon-5");
        assertEquals(2, events.export());

        // As on a new replica's empty disk: the source's days and daily summaries are gone.
        delete(root.resolve("source=" + events.source));
        delete(root.resolve("_daily").resolve("source=" + events.source));
        assertFalse(Files.exists(root.resolve("source=" + events.source)));

        // Nothing changed in Cassandra, so the cycle exports no day: the numbers come from the bucket.
        assertEquals(0, events.export());
        assertTrue(Files.exists(root.resolve("source=" + events.source).resolve("event_date=2026-11-02")
                .resolve("part-00000.parquet")));
        given().auth().oauth2(TOKEN)
                .queryParam("source", events.source).queryParam("from", "2026-11-01").queryParam("to", "2026-11-02")
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(200)
                .body("days", hasSize(2))
                .body("days[0].events", equalTo(1)).body("days[0].users", equalTo(1))
                .body("days[1].events", equalTo(2)).body("days[1].users", equalTo(2));
        given().auth().oauth2(TOKEN)
                .queryParam("source", events.source).queryParam("date", "2026-11-02")
                .when().get("/api/v1/metrics/active-users")
                .then().statusCode(200).body("dau", equalTo(2)).body("wau", equalTo(3)).body("mau", equalTo(3));
        given().auth().oauth2(TOKEN)
                .queryParam("source", events.source).queryParam("from", "2026-11-01").queryParam("to", "2026-11-02")
                .when().get("/api/v1/metrics/top-events")
                .then().statusCode(200)
                .body("events[0].event", equalTo("Viewed")).body("events[0].count", equalTo(2));
        // A mirror already up to date fetches nothing: the files are not rewritten.
        Path file = root.resolve("source=" + events.source).resolve("event_date=2026-11-01").resolve("part-00000.parquet");
        Files.setLastModifiedTime(file, FileTime.fromMillis(0));
        assertEquals(0, events.export());
        assertEquals(0, Files.getLastModifiedTime(file).toMillis());
    }

    /** Rows of the day's event object, fetched and read as plain Parquet. */
    private static long eventRows(S3Client s3, List<String> keys) throws Exception {
        String key = keys.stream().filter(k -> k.endsWith(".parquet")).findFirst().orElseThrow();
        Path file = Files.createTempFile("tidemark-s3-object-", ".parquet");
        try {
            Files.write(file, s3.getObjectAsBytes(r -> r.bucket(S3ProxyResource.BUCKET).key(key)).asByteArray());
            try (Connection duck = new org.duckdb.DuckDBDriver().connect("jdbc:duckdb:", new Properties());
                    Statement sql = duck.createStatement();
                    ResultSet rows = sql.executeQuery("SELECT count(*) FROM read_parquet('" + file + "')")) {
                rows.next();
                return rows.getLong(1);
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static void delete(Path dir) throws Exception {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
