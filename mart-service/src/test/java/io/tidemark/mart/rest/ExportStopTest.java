package io.tidemark.mart.rest;

import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.tidemark.mart.export.DayExporter;
import io.tidemark.mart.layout.MartSwapLock;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;

import static io.restassured.RestAssured.given;
import static io.tidemark.mart.rest.StoredEvents.TOKEN;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The stop's event while a cycle's first day of a source waits for its swap, its files all written: that day is
 * finished and swapped in, although the same event closes DuckDB (the export's observer comes first), the source's
 * next day is left for the next cycle, its lease is given back, and a cycle asked for meanwhile is refused with 503.
 * (A day still in a DuckDB statement is halted instead: ExportStopLongStatementTest.)
 */
@QuarkusTest
@TestProfile(ExportStopTest.OwnApplication.class)
@QuarkusTestResource(TempMartRoot.class)
class ExportStopTest {

    /** An application of its own: the event fired below ends its exports and closes its DuckDB for good. */
    public static class OwnApplication implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tidemark.mart.export.stop-timeout", "60s");
        }
    }

    @Inject
    QuarkusCqlSession session;

    @Inject
    MartSwapLock swapLock;

    @Inject
    Event<ShutdownEvent> shutdown;

    @Test
    void aStopFinishesTheDayBeingWrittenGivesTheLeaseBackAndRefusesNewCycles() throws Exception {
        StoredEvents events = new StoredEvents(session);
        events.store("2026-11-05T08:00:00Z", "Viewed", "u-1", null);
        events.store("2026-11-06T08:00:00Z", "Viewed", "u-2", null);
        CompletableFuture<JsonPath> cycleSummary;
        CompletableFuture<Void> stopped;
        // A held read lock keeps the cycle from swapping its first day in: it is in the middle of that day.
        Lock reading = swapLock.reading();
        reading.lock();
        try {
            cycleSummary = CompletableFuture.supplyAsync(events::exportSummary);
            // At the first day's swap, past its statements: a stop before that halts the day, and waits for nothing.
            await().atMost(Duration.ofSeconds(30)).until(ExportStopTest::waitingToSwap);
            stopped = CompletableFuture.runAsync(() -> shutdown.fire(new ShutdownEvent()));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().auth().oauth2(TOKEN)
                    .queryParam("source", events.source).when().post("/api/v1/exports")
                    .then().statusCode(503).contentType("application/problem+json").header("Retry-After", "30")
                    .body("type", equalTo("urn:tidemark:problem:stopping")));
            assertFalse(stopped.isDone(), "the stop waits for the day being written");
        } finally {
            reading.unlock();
        }
        stopped.get(60, TimeUnit.SECONDS);

        JsonPath summary = cycleSummary.get(60, TimeUnit.SECONDS);
        List<String> exported = summary.getList("exported.date");
        assertEquals(1, exported.size(), () -> "the day being written, and only it: " + summary.prettify());
        assertEquals(List.of("mart is stopping"), summary.getList("failed.reason"), summary::prettify);
        assertFalse(exported.contains(summary.getString("failed[0].date")), summary::prettify);
        assertNull(events.leaseHolder(), "the source's lease given back");
    }

    /** Whether the export's thread waits in a day's swap for the read lock this test holds. */
    private static boolean waitingToSwap() {
        return Thread.getAllStackTraces().entrySet().stream().anyMatch(thread -> thread.getKey().getState()
                == Thread.State.WAITING && Arrays.stream(thread.getValue()).anyMatch(frame
                        -> frame.getClassName().equals(DayExporter.class.getName()) && frame.getMethodName().equals("swap")));
    }
}
