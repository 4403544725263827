package io.tidemark.mart.rest;

import io.quarkus.runtime.ShutdownEvent;
import io.restassured.path.json.JsonPath;
import jakarta.enterprise.event.Event;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The stop's event fired into an export cycle under way, and what a halted day must leave behind. */
final class StopDuringExport {

    private StopDuringExport() {
    }

    /**
     * Fires the stop while {@code cycle} exports the source of {@code events}, and checks that it returned within
     * {@code within}, that the day under way was left for the next cycle (nothing exported, the stop named as the
     * reason), and that the source's lease was given back.
     */
    static void assertTheDayIsLeftAndTheLeaseGivenBack(Event<ShutdownEvent> shutdown, CompletableFuture<JsonPath> cycle,
            StoredEvents events, Duration within) throws Exception {
        long started = System.nanoTime();
        shutdown.fire(new ShutdownEvent());
        Duration stop = Duration.ofNanos(System.nanoTime() - started);

        JsonPath summary = cycle.get(60, TimeUnit.SECONDS);
        assertEquals(List.of(), summary.getList("exported"), summary::prettify);
        assertEquals(List.of("mart is stopping"), summary.getList("failed.reason"), summary::prettify);
        assertTrue(stop.compareTo(within) < 0, "the stop waited " + stop + " for the day");
        assertNull(events.leaseHolder(), "the source's lease given back");
    }
}
