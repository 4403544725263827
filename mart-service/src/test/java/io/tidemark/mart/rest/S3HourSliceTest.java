package io.tidemark.mart.rest;

import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.tidemark.testsupport.Trees;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.stream.IntStream;

import static io.restassured.RestAssured.given;
import static io.tidemark.mart.rest.StoredEvents.TOKEN;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hour slices with the S3-compatible store (S3Proxy, a separate process): a slice re-export commits a
 * whole new generation of the day, kept slices included, and a replica that lost its disk gets the
 * slices back from the bucket and can re-export one slice again.
 */
@QuarkusTest
@TestProfile(HourSliceExportTest.SmallFiles.class)
@QuarkusTestResource(TempMartRoot.class)
@QuarkusTestResource(value = S3ProxyResource.class, restrictToAnnotatedClass = true)
class S3HourSliceTest {

    private static final int PER_HOUR = 150;

    @Inject
    QuarkusCqlSession session;

    @ConfigProperty(name = "tidemark.mart.export.root")
    Path root;

    @Test
    void aSliceReExportCommitsTheWholeDayAndAMirrorRestoresItsSlices() throws Exception {
        StoredEvents events = new StoredEvents(session);
        LocalDate day = LocalDate.parse("2026-09-20");
        events.storeInHours(day, IntStream.range(0, 24).boxed().toList(), PER_HOUR, "u");
        events.exportSummary();
        String prefix = "marts/source=" + events.source + "/event_date=" + day + "/";
        try (S3Client s3 = S3ProxyResource.client(S3ProxyResource.endpoint())) {
            List<String> first = S3ProxyResource.keys(s3, prefix);
            long parts = parts(first);
            assertTrue(parts >= 3, first.toString());

            events.storeInHours(day, List.of(13), 1, "late");
            JsonPath slice = events.exportSummary();
            assertTrue(slice.getString("exported[0].reread").startsWith("hours "), slice.prettify());
            List<String> second = S3ProxyResource.keys(s3, prefix);
            // The same rollups; the touched slice may have grown into one more file.
            assertEquals(first.size() - parts, second.size() - parts(second), second.toString());
            assertTrue(parts(second) >= parts, second.toString());
            assertTrue(second.stream().noneMatch(first::contains), "one generation, all new: " + second);
        }

        // As on a new replica's empty disk: the day comes back from the bucket, slices and all.
        Trees.delete(root.resolve("source=" + events.source));
        Trees.delete(root.resolve("_daily").resolve("source=" + events.source));
        assertEquals(0, events.exportSummary().getInt("exported.size()"));
        daily(events, day, 24 * PER_HOUR + 1);

        events.storeInHours(day, List.of(2), 1, "later");
        JsonPath again = events.exportSummary();
        assertTrue(again.getString("exported[0].reread").startsWith("hours 00-"), again.prettify());
        daily(events, day, 24 * PER_HOUR + 2);
    }

    private static void daily(StoredEvents events, LocalDate day, int rows) {
        given().auth().oauth2(TOKEN).queryParam("source", events.source)
                .queryParam("from", day.toString()).queryParam("to", day.toString())
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(200)
                .body("days[0].events", equalTo(rows)).body("days[0].users", equalTo(rows));
    }

    private static long parts(List<String> keys) {
        return keys.stream().filter(key -> key.matches(".*/part-h\\d{2}-\\d{2}-\\d{5}-g[0-9a-f]{32}\\.parquet")).count();
    }
}
