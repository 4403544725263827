package io.tidemark.ingest.service;

import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.mutiny.Uni;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventType;
import io.tidemark.ingest.model.TrackingResponse;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.List;

/**
 * The path of a Tracking API call, each step once: {@link RequestAdmission} (who, how big, how fast),
 * {@link EventNormalizer} (JSON into events, the bad ones set apart), {@link EventStore} (Kafka's
 * acknowledgement). A call completes only once Kafka holds its events.
 */
@ApplicationScoped
public class EventCollector {

    private final RequestAdmission admission;
    private final TrackingRequestReader reader;
    private final EventNormalizer normalizer;
    private final EventStore store;

    public EventCollector(RequestAdmission admission, TrackingRequestReader reader, EventNormalizer normalizer,
            EventStore store) {
        this.admission = admission;
        this.reader = reader;
        this.normalizer = normalizer;
        this.store = store;
    }

    /** One identify, track, page, screen, group or alias call; the endpoint fixes its type. */
    public Uni<TrackingResponse> collect(EventType type, String authorization, byte[] body) {
        long started = System.nanoTime();
        Instant receivedAt = Instant.now();
        String source = admission.source(authorization, body);
        JsonNode message = admission.read(() -> reader.single(body));
        admission.admitSingle(source, body, message);
        CollectedEvent event = normalizer.single(source, type, message, receivedAt);
        return store.store(source, Channel.HTTP, List.of(event), started).replaceWith(TrackingResponse.OK);
    }

    /**
     * A {@code /v1/batch} call: every valid event is stored, every invalid one goes to the dead-letter
     * topic and is listed in the answer; one bad event never costs the good ones.
     */
    public Uni<TrackingResponse> collectBatch(String authorization, byte[] body) {
        long started = System.nanoTime();
        Instant receivedAt = Instant.now();
        String source = admission.source(authorization, body);
        TrackingRequestReader.Batch batch = admission.read(() -> reader.batch(body));
        return collectBatch(source, Channel.HTTP, batch, receivedAt, started);
    }

    /** A batch envelope of an authenticated source (a {@code /v1/batch} call or an MQTT message). */
    public Uni<TrackingResponse> collectBatch(String source, Channel channel, TrackingRequestReader.Batch batch,
            Instant receivedAt, long started) {
        EventNormalizer.Envelope envelope = normalizer.envelope(source, batch);
        return collectElements(source, channel, batch.elements(), envelope.defaults(), envelope.sentAt(), receivedAt, started);
    }

    /**
     * Events of an authenticated source, as a batch: the valid ones are stored, the invalid ones parked
     * on the dead-letter topic and listed by index. Bulk import sends its lines through here.
     */
    public Uni<TrackingResponse> collectElements(String source, Channel channel,
            List<TrackingRequestReader.BatchElement> elements, EventNormalizer.BatchDefaults batchDefaults,
            Instant batchSentAt, Instant receivedAt, long started) {
        admission.admitBatch(source, elements.size(), batchDefaults == null ? 0 : batchDefaults.bytes());
        EventNormalizer.Normalized normalized = normalizer.batch(source, channel, elements, batchDefaults, batchSentAt,
                receivedAt);
        return store.store(source, channel, normalized, started)
                .replaceWith(new TrackingResponse(true, List.copyOf(normalized.rejected())));
    }
}
