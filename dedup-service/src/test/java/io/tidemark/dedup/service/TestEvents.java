package io.tidemark.dedup.service;

import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventType;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/** The events and runs the deduplicator tests share. */
public final class TestEvents {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private TestEvents() {
    }

    /** A track call of {@code source} at {@code time}, as ingest would have collected it. */
    public static CollectedEvent click(String source, String messageId, Instant time) {
        return new CollectedEvent(CollectedEvent.FORMAT_VERSION, source, messageId, EventType.TRACK, "Clicked", null,
                "u-" + messageId, null, null, null, null, null, null, null, time, time, null, Instant.now(), Set.of());
    }

    /** Claims and stores one batch, as a raw partition would; the outcome of each delivery, in order. */
    public static List<StoreOutcome> outcomes(EventDeduplicator deduplicator, List<Delivery> deliveries) {
        return deduplicator.claim(deliveries).flatMap(deduplicator::store).await().atMost(PATIENCE)
                .stream().map(EventDeduplicator.Result::outcome).toList();
    }
}
