package io.tidemark.mart.rest;

import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.awaitility.Awaitility.await;

/**
 * The stop's event while a cycle is still reading a large day: the read is halted at its next page, the day is
 * left for the next cycle with its old files, and the lease is given back within seconds, not after the day.
 * A page of one row makes a day of 30,000 rows take far longer to read than the stop may wait here.
 */
@QuarkusTest
@TestProfile(ExportStopLargeDayTest.SlowReads.class)
@QuarkusTestResource(TempMartRoot.class)
class ExportStopLargeDayTest {

    private static final Duration READ_UNDER_WAY = Duration.ofSeconds(1);
    private static final Duration STOP_WITHIN = Duration.ofSeconds(5);

    /** An application of its own (the event fired below ends its exports for good), reading a row a page. */
    public static class SlowReads implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tidemark.mart.export.stop-timeout", "120s",
                    "tidemark.mart.export.page-size", "1",
                    "tidemark.mart.export.lanes", "1");
        }
    }

    @Inject
    QuarkusCqlSession session;

    @Inject
    Event<ShutdownEvent> shutdown;

    @Test
    void aStopHaltsTheReadOfALargeDayAndGivesTheLeaseBackAtOnce() throws Exception {
        StoredEvents events = new StoredEvents(session);
        events.storeMany("2026-11-04T00:00:00Z", 30_000);
        CompletableFuture<JsonPath> cycle = CompletableFuture.supplyAsync(events::exportSummary);
        await("the source is leased: its export began").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> events.leaseHolder() != null);
        // Into the day's read, which takes about ten seconds here: the lease comes a few milliseconds before it.
        Thread.sleep(READ_UNDER_WAY.toMillis());

        StopDuringExport.assertTheDayIsLeftAndTheLeaseGivenBack(shutdown, cycle, events, STOP_WITHIN);
    }
}
