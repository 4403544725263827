package io.tidemark.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tidemark.e2e.AnalyticsKotlinApp.Batch;
import io.tidemark.e2e.StampedEvents.Stamped;
import kotlinx.serialization.json.JsonElementKt;
import kotlinx.serialization.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static io.tidemark.e2e.StampedEvents.CALL;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine of Segment's Android SDK, {@code com.segment.analytics.kotlin:core} from Maven Central on a
 * plain JVM: events an app tracks with no network wait in the SDK's batch files through a restart and,
 * once ingest is reachable again, are stored once each at the time they were tracked, though the sentAt
 * of their batches is long stale by then (the SDK stamps it when it closes a batch, not when it sends it).
 *
 * <p>The network goes away between the SDK and ingest, not ingest itself: the app keeps the one apiHost
 * and cdnHost it was built with, and {@link AppNetwork} refuses its connections while offline, as a
 * phone in a tunnel does. Stopping ingest instead would hand it a new port when it came back.
 */
class AnalyticsKotlinOfflineIT {

    private static final Duration PATIENCE = Duration.ofSeconds(60);
    // Ingest's default tidemark.ingest.clock-tolerance: a sentAt further from the receive time than this is
    // a wrong clock or a queue, and telling the two apart is what this test is about.
    private static final Duration CLOCK_TOLERANCE = Duration.ofSeconds(5);
    // How long the app stays offline after it closed its last batch: long past the clock tolerance, so
    // that a time taken from sentAt would be visibly wrong.
    private static final Duration OFFLINE = Duration.ofSeconds(12);
    private static final Duration TIME_TOLERANCE = Duration.ofSeconds(1);
    private static final int OFFLINE_CALLS = 20;
    private static final String SCREEN_CATEGORY = "Player";
    // Small batches and a short interval, so that the offline events span several batch files.
    private static final int FLUSH_AT = 8;
    private static final Duration FLUSH_INTERVAL = Duration.ofSeconds(1);
    private static final Duration BETWEEN_CALLS = Duration.ofMillis(100);

    /** When the app made a call: just before and just after it. */
    private record CallWindow(Instant before, Instant after) {
    }

    @TempDir
    Path appData;

    @AfterAll
    static void releaseTelemetry() throws ReflectiveOperationException {
        AnalyticsKotlinApp.releaseTelemetry();
    }

    @Test
    void eventsTrackedOfflineAreStoredOnceAtTheirTrackedTimeAfterTheAppRestarts() throws Exception {
        AppNetwork network = new AppNetwork();
        Map<String, CallWindow> calls = new LinkedHashMap<>();
        Map<String, Stamped> stamped = new HashMap<>();
        List<String> screens = new ArrayList<>();
        try (SdkPipeline pipeline = SdkPipeline.start("kotlin-sdk", false)) {
            List<Batch> queued;
            String installation;
            try (AnalyticsKotlinApp app = launch(pipeline, network)) {
                // The first launch has a network: its settings come from ingest's mobile path.
                assertTrue(network.requests().stream().anyMatch(request -> request.online()
                        && request.target().getPath().equals("/projects/" + pipeline.writeKey + "/settings")),
                        "settings requested from /projects/<writeKey>/settings: " + network.requests());
                JsonObject segment = JsonElementKt.getJsonObject(
                        app.analytics().settings().getIntegrations().get("Segment.io"));
                assertEquals(pipeline.ingestHost() + "/v1", JsonElementKt.getJsonPrimitive(segment.get("apiHost")).getContent(),
                        "the settings point the SDK's uploads at ingest");

                network.goOffline();
                for (int i = 0; i < OFFLINE_CALLS; i++) {
                    String call = "offline-" + i;
                    Instant before = Instant.now();
                    if (i == 0) {
                        app.analytics().identify("listener-7", Map.of(CALL, call, "plan", "family"));
                    } else if (i % 7 == 0) {
                        // The category goes beside the name, at the top of the call.
                        app.analytics().screen("Now Playing", Map.of(CALL, call, "n", i), SCREEN_CATEGORY);
                        screens.add(call);
                    } else {
                        app.analytics().track("Song Played", Map.of(CALL, call, "n", i, "seconds", 180 + i));
                    }
                    calls.put(call, new CallWindow(before, Instant.now()));
                    // A listener's pace rather than a burst: the events' times differ, batch by batch.
                    Thread.sleep(BETWEEN_CALLS.toMillis());
                }
                // Only a closed batch is sent; one left open would wait after the restart for a new event.
                await("the SDK closes every batch while offline").atMost(PATIENCE).until(() ->
                        app.stamped().keySet().containsAll(calls.keySet()) && !app.writingBatch()
                                && queuedIds(app.pendingBatches()).size() == OFFLINE_CALLS);
                Instant lastClosed = app.pendingBatches().stream().map(Batch::sentAt).max(Comparator.naturalOrder()).orElseThrow();
                await("the SDK still tries to upload, in vain, long after it closed its batches")
                        .atMost(OFFLINE.plus(PATIENCE)).until(() -> network.requests().stream().anyMatch(request ->
                                !request.online() && isUpload(request) && request.at().isAfter(lastClosed.plus(OFFLINE))));
                queued = app.pendingBatches();
                stamped.putAll(app.stamped());
                installation = app.analytics().anonymousId();
            }
            assertEquals(ids(stamped).stream().sorted().toList(), queuedIds(queued).stream().sorted().toList(),
                    "every offline event waits in a closed batch file, once");

            Instant online;
            try (AnalyticsKotlinApp app = launch(pipeline, network)) {
                assertEquals(installation, app.analytics().anonymousId(), "the restarted app is the same installation");
                String call = "after-restart";
                Instant before = Instant.now();
                app.analytics().track("Application Opened", Map.of(CALL, call, "from_background", false));
                calls.put(call, new CallWindow(before, Instant.now()));

                online = Instant.now();
                network.goOnline();
                stamped.putAll(await().atMost(PATIENCE).until(app::stamped, byCall -> byCall.containsKey(call)));
                pipeline.awaitStored(ids(stamped), days(stamped), PATIENCE);
                await("the SDK has sent every batch").atMost(PATIENCE).until(app::sentEverything);
            }

            List<AppNetwork.Request> uploads = network.requests().stream()
                    .filter(request -> request.online() && isUpload(request)).toList();
            assertTrue(uploads.stream().allMatch(request -> request.target().getAuthority().equals(pipeline.ingestHost())
                    && request.target().getPath().equals("/v1/b")), "uploads go to ingest's /v1/b: " + uploads);
            Instant firstUpload = uploads.stream().map(AppNetwork.Request::at).filter(at -> at.isAfter(online))
                    .min(Comparator.naturalOrder()).orElseThrow();
            for (Batch batch : queued) {
                assertTrue(Duration.between(batch.sentAt(), firstUpload).compareTo(CLOCK_TOLERANCE) > 0,
                        "a queued batch's sentAt (" + batch.sentAt() + ") is stale when it is sent (" + firstUpload + ")");
            }

            // Read again now that the SDK has nothing left to send: a late second copy would show here.
            Map<String, List<StoredRows.Stored>> stored = pipeline.awaitStored(ids(stamped), days(stamped), PATIENCE);
            for (Map.Entry<String, CallWindow> call : calls.entrySet()) {
                Stamped sdk = stamped.get(call.getKey());
                List<StoredRows.Stored> rows = stored.get(sdk.messageId());
                assertEquals(1, rows.size(), "rows of " + call.getKey() + " (" + sdk.messageId() + ")");
                Instant eventTime = rows.get(0).eventTime();
                assertTrue(!eventTime.isBefore(call.getValue().before().minus(TIME_TOLERANCE))
                                && !eventTime.isAfter(call.getValue().after().plus(TIME_TOLERANCE)),
                        call.getKey() + " is stored at " + eventTime + ", tracked at " + call.getValue().before());
                assertEquals(sdk.timestamp(), eventTime, "the SDK's timestamp is the event time of " + call.getKey());
            }
            Map<String, String> properties = pipeline.storedProperties(days(stamped));
            for (String screen : screens) {
                String kept = properties.get(stamped.get(screen).messageId());
                assertNotNull(kept, "the properties of " + screen);
                assertEquals(SCREEN_CATEGORY, new ObjectMapper().readTree(kept).path("category").asText(),
                        "the category of " + screen + " is kept in its properties: " + kept);
            }
            report(calls, queued, firstUpload);
        }
    }

    private AnalyticsKotlinApp launch(SdkPipeline pipeline, AppNetwork network) {
        return AnalyticsKotlinApp.launch(pipeline.writeKey, pipeline.ingestHost(), appData, network, FLUSH_AT, FLUSH_INTERVAL);
    }

    private static boolean isUpload(AppNetwork.Request request) {
        return request.target().getPath().endsWith("/b");
    }

    private static List<String> queuedIds(List<Batch> batches) {
        return batches.stream().flatMap(batch -> batch.messageIds().stream()).toList();
    }

    private static Set<String> ids(Map<String, Stamped> stamped) {
        return stamped.values().stream().map(Stamped::messageId).collect(Collectors.toSet());
    }

    private static Set<LocalDate> days(Map<String, Stamped> stamped) {
        Set<LocalDate> days = new TreeSet<>(List.of(LocalDate.now(ZoneOffset.UTC)));
        stamped.values().forEach(sdk -> days.add(LocalDate.ofInstant(sdk.timestamp(), ZoneOffset.UTC)));
        return days;
    }

    /** The delays this run saw, for the record: from the call to its batch's close, and on to the upload. */
    private static void report(Map<String, CallWindow> calls, List<Batch> queued, Instant firstUpload) {
        Instant firstCall = calls.values().iterator().next().before();
        Instant lastOfflineCall = calls.get("offline-" + (OFFLINE_CALLS - 1)).after();
        Instant firstSentAt = queued.stream().map(Batch::sentAt).min(Comparator.naturalOrder()).orElseThrow();
        Instant lastSentAt = queued.stream().map(Batch::sentAt).max(Comparator.naturalOrder()).orElseThrow();
        System.out.printf("analytics-kotlin offline: %d batches; calls %s..%s; sentAt %s..%s (last call to last close %d ms);"
                        + " first upload %s (%d ms after the last close, %d ms after the first call)%n",
                queued.size(), firstCall, lastOfflineCall, firstSentAt, lastSentAt,
                Duration.between(lastOfflineCall, lastSentAt).toMillis(), firstUpload,
                Duration.between(lastSentAt, firstUpload).toMillis(), Duration.between(firstCall, firstUpload).toMillis());
    }
}
