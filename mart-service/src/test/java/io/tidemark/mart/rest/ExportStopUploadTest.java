package io.tidemark.mart.rest;

import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.tidemark.mart.layout.MartLayout;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stop's event while a cycle uploads a day of hour slices to the bucket: the upload gives up at its next object,
 * no manifest names the objects put so far (readers keep the day as it was committed), and the lease is given back
 * within one object's upload, not after all of them. S3Proxy's own latency middleware makes each PUT take half a
 * second, as a large object does across a network; at issue #20's scale a day is hundreds of objects, minutes of
 * uploads.
 */
@QuarkusTest
@TestProfile(ExportStopUploadTest.SlicedDays.class)
@QuarkusTestResource(TempMartRoot.class)
@QuarkusTestResource(value = S3ProxyResource.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "s3proxy.latency-blobstore", value = "true"),
        @ResourceArg(name = "s3proxy.latency-blobstore.put.latency", value = ExportStopUploadTest.PUT_MILLIS)})
class ExportStopUploadTest {

    static final String PUT_MILLIS = "500";
    private static final int PER_HOUR = 150;
    /** One PUT under way when the stop comes, and the margin of a loaded machine; the day's upload takes seconds. */
    private static final Duration STOP_WITHIN = Duration.ofMillis(2 * Long.parseLong(PUT_MILLIS) + 1_000);

    /** An application of its own (the event fired below ends its exports for good), cutting days into hour slices. */
    public static class SlicedDays implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tidemark.mart.export.target-file-bytes", "32768",
                    "tidemark.mart.export.stop-timeout", "120s");
        }
    }

    @Inject
    QuarkusCqlSession session;

    @Inject
    Event<ShutdownEvent> shutdown;

    @Test
    void aStopHaltsADaysUploadAtItsNextObjectAndGivesTheLeaseBack() throws Exception {
        StoredEvents events = new StoredEvents(session);
        LocalDate day = LocalDate.parse("2026-09-21");
        events.storeInHours(day, IntStream.range(0, 24).boxed().toList(), PER_HOUR, "u");
        String dayObjects = "marts/" + MartLayout.dayKey(events.source, day);
        String manifest = "marts/" + MartLayout.manifestKey(events.source, day);
        try (S3Client s3 = S3ProxyResource.client(S3ProxyResource.endpoint())) {
            CompletableFuture<JsonPath> cycle = CompletableFuture.supplyAsync(events::exportSummary);
            await("the day's upload is under way").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                    .until(() -> !S3ProxyResource.keys(s3, dayObjects).isEmpty());

            StopDuringExport.assertTheDayIsLeftAndTheLeaseGivenBack(shutdown, cycle, events, STOP_WITHIN);
            assertEquals(List.of(), S3ProxyResource.keys(s3, manifest), "no manifest names the day's new objects");
            List<String> left = S3ProxyResource.keys(s3, dayObjects);
            // The object seen, the one under way, and one more should the listing have seen the first one late.
            assertTrue(left.size() <= 3, "the upload stopped within an object of the stop: " + left);
        }
    }
}
