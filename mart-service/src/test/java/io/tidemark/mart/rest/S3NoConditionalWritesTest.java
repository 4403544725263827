package io.tidemark.mart.rest;

import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.tidemark.mart.export.DayManifest;
import io.tidemark.mart.layout.MartLayout;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

import java.time.LocalDate;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.restassured.RestAssured.given;
import static io.tidemark.mart.rest.StoredEvents.TOKEN;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bucket whose store answers 501 to S3's conditional writes (many S3-compatible stores before 2024): the day's
 * commit falls back to a plain PUT of its manifest, once found out, and the exports go on as before the fence.
 */
@QuarkusTest
@QuarkusTestResource(TempMartRoot.class)
@QuarkusTestResource(value = StoreWithoutConditionalWrites.class, restrictToAnnotatedClass = true)
class S3NoConditionalWritesTest {

    @Inject
    QuarkusCqlSession session;

    @StoreWithoutConditionalWrites.Refused
    AtomicInteger refused;

    @Test
    void daysAreCommittedAndReplacedByPlainPutsAfterTheFirstConditionalOneIsRefused() throws Exception {
        StoredEvents events = new StoredEvents(session);
        LocalDate day = LocalDate.parse("2026-11-03");
        String manifest = "marts/" + MartLayout.manifestKey(events.source, day);
        String dayObjects = "marts/" + MartLayout.dayKey(events.source, day);
        events.store("2026-11-03T08:00:00Z", "Viewed", "u-1", null);
        assertEquals(1, events.export(), "the day's first commit");
        assertEquals(1, refused.get(), "the first manifest was tried with If-None-Match, and refused");

        try (S3Client s3 = S3ProxyResource.client(S3ProxyResource.endpoint())) {
            String first = committedGeneration(s3, manifest);
            List<String> firstObjects = S3ProxyResource.keys(s3, dayObjects);
            assertTrue(firstObjects.stream().allMatch(key -> key.contains(first)), firstObjects + " of " + first);

            events.store("2026-11-03T09:00:00Z", "Bought", "u-2", null);
            assertEquals(1, events.export(), "the day's second commit, replacing the first");
            assertEquals(1, refused.get(), "a store known to have no conditional writes is sent none again");
            String second = committedGeneration(s3, manifest);
            assertTrue(!second.equals(first), "the manifest names the new generation");
            List<String> secondObjects = S3ProxyResource.keys(s3, dayObjects);
            assertEquals(firstObjects.size(), secondObjects.size(), secondObjects.toString());
            assertTrue(secondObjects.stream().allMatch(key -> key.contains(second)),
                    "the first generation is gone: " + secondObjects);
        }
        given().auth().oauth2(TOKEN)
                .queryParam("source", events.source).queryParam("from", "2026-11-03").queryParam("to", "2026-11-03")
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(200)
                .body("days[0].events", equalTo(2)).body("days[0].users", equalTo(2));
    }

    /** The generation the day's manifest names, read as mart reads it. */
    private static String committedGeneration(S3Client s3, String manifest) throws Exception {
        byte[] text = s3.getObjectAsBytes(r -> r.bucket(S3ProxyResource.BUCKET).key(manifest)).asByteArray();
        return new ObjectMapper().readValue(text, DayManifest.class).generation();
    }
}
