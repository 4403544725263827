package io.tidemark.ingest.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventType;
import io.tidemark.ingest.config.IngestConfig;
import io.tidemark.ingest.service.SegmentEventParser;
import jakarta.inject.Singleton;
import jakarta.enterprise.inject.Alternative;

import java.time.Instant;

/**
 * Stands in for a bug: an event named {@value #POISON} fails with an error no retry can cure. Enabled
 * only by the test profile that asks for it. A singleton: a client proxy would need a no-args constructor.
 */
@Alternative
@Singleton
public class BrokenParser extends SegmentEventParser {

    static final String POISON = "Poison Pill";

    public BrokenParser(IngestConfig config) {
        super(config);
    }

    @Override
    public CollectedEvent parse(JsonNode message, EventType type, String source, Instant receivedAt, Instant batchSentAt) {
        JsonNode event = message == null ? null : message.get("event");
        if (event != null && POISON.equals(event.asText())) {
            throw new IllegalStateException("a bug this message always hits");
        }
        return super.parse(message, type, source, receivedAt, batchSentAt);
    }
}
