package io.tidemark.ingest.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventKey;
import io.tidemark.event.EventType;
import io.tidemark.event.RawJsonObject;
import io.tidemark.ingest.config.IngestConfig;
import io.tidemark.ingest.messaging.DeadLetterPublisher;
import io.tidemark.ingest.model.RejectedEvent;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import io.tidemark.ingest.service.rejection.EventTooLargeException;
import io.tidemark.ingest.service.rejection.InvalidEventException;

/**
 * Turns admitted JSON into events: a single call's body, or a batch's elements with the batch's
 * defaults merged in. Each element is judged on its own, so one bad event never costs the good ones:
 * the refused ones come back with their index, field and reason, and as they were received, for the
 * dead-letter topic.
 */
@ApplicationScoped
public class EventNormalizer {

    private static final Logger LOG = Logger.getLogger(EventNormalizer.class);

    private final SegmentEventParser parser;
    private final IngestMetrics metrics;
    private final ObjectMapper mapper;
    private final IngestConfig config;

    public EventNormalizer(SegmentEventParser parser, IngestMetrics metrics, ObjectMapper mapper, IngestConfig config) {
        this.parser = parser;
        this.metrics = metrics;
        this.mapper = mapper;
        this.config = config;
    }

    /**
     * A batch's context and integrations, which fill what each event's own leave out, and the bytes they
     * took in the request: the most that merging them adds to each event.
     */
    public record BatchDefaults(ObjectNode fields, long bytes) {

        /** The defaults of a batch envelope, or null when it has none; a non-object default is refused. */
        static BatchDefaults of(TrackingRequestReader.Batch batch) {
            ObjectNode defaults = JsonNodeFactory.instance.objectNode();
            envelopeDefault(defaults, "context", batch.context());
            envelopeDefault(defaults, "integrations", batch.integrations());
            return defaults.isEmpty() ? null : new BatchDefaults(defaults, batch.defaultsBytes());
        }

        private static void envelopeDefault(ObjectNode defaults, String field, JsonNode value) {
            if (value == null || value.isNull()) {
                return;
            }
            if (!value.isObject()) {
                throw new InvalidEventException(field, "must be a JSON object");
            }
            defaults.set(field, value);
        }
    }

    /** A batch after normalising: the events to store, and the refused ones, listed and as received. */
    public record Normalized(List<CollectedEvent> accepted, List<RejectedEvent> rejected,
            List<DeadLetterPublisher.Refused> refused) {
    }

    /** What a batch envelope gives each of its events: defaults to merge and the time the batch was sent. */
    public record Envelope(BatchDefaults defaults, Instant sentAt) {
    }

    /** Reads a batch's envelope; one that is not valid refuses every event the batch carries, counted here. */
    public Envelope envelope(String source, TrackingRequestReader.Batch batch) {
        try {
            return new Envelope(BatchDefaults.of(batch), SegmentEventParser.optionalTimeValue(batch.sentAt(), "sentAt"));
        } catch (InvalidEventException e) {
            throw metrics.refused(source, batch.elements().size(), e);
        }
    }

    /** One identify, track, page, screen, group or alias call; the endpoint fixes its type. */
    public CollectedEvent single(String source, EventType type, JsonNode message, Instant receivedAt) {
        try {
            if (message.isObject() && message.has("batch")) {
                // A batch posted to a single-call path would otherwise fail on a missing userId, or worse.
                throw new InvalidEventException("batch", "this path takes one " + type.wireName()
                        + " call; post batches to /v1/batch");
            }
            return parser.parse(message, type, source, receivedAt, null);
        } catch (InvalidEventException e) {
            metrics.client(Channel.HTTP, ClientLibrary.of(message.get("context")), "rejected", 1);
            throw metrics.refused(source, 1, e);
        }
    }

    /** The elements of a batch (or an import's lines, or an MQTT message) of an admitted source. */
    public Normalized batch(String source, Channel channel, List<TrackingRequestReader.BatchElement> elements,
            BatchDefaults batchDefaults, Instant batchSentAt, Instant receivedAt) {
        List<CollectedEvent> accepted = new ArrayList<>(elements.size());
        List<RejectedEvent> rejected = new ArrayList<>();
        List<DeadLetterPublisher.Refused> refused = new ArrayList<>();
        for (int index = 0; index < elements.size(); index++) {
            TrackingRequestReader.BatchElement element = elements.get(index);
            try {
                accepted.add(batchEvent(element, batchDefaults, source, receivedAt, batchSentAt));
            } catch (InvalidEventException e) {
                metrics.refused(source, 1, e);
                metrics.client(channel, library(element.message(), batchDefaults), "rejected", 1);
                rejected.add(new RejectedEvent(index, e.field(), e.reason()));
                refused.add(refused(source, element.message(), e));
            }
        }
        return new Normalized(accepted, rejected, refused);
    }

    private CollectedEvent batchEvent(TrackingRequestReader.BatchElement element, BatchDefaults batchDefaults,
            String source, Instant receivedAt, Instant batchSentAt) {
        if (element.bytes() > config.maxEventBytes()) {
            throw new EventTooLargeException("body", config.maxEventBytes());
        }
        if (batchDefaults != null && element.bytes() + batchDefaults.bytes() > config.maxEventBytes()) {
            throw new EventTooLargeException("context", "the event with the batch's context and integrations merged in "
                    + "would be larger than " + config.maxEventBytes() + " bytes");
        }
        JsonNode message = element.message();
        if (message == null || !message.isObject()) {
            throw new InvalidEventException("body", "each batch element must be a JSON object");
        }
        JsonNode typeNode = message.get("type");
        if (typeNode == null || typeNode.isNull()) {
            throw new InvalidEventException("type", "is required in a batch (identify, track, page, screen, group or alias)");
        }
        EventType type = EventType.parse(typeNode.isTextual() ? typeNode.asText() : null).orElseThrow(() ->
                new InvalidEventException("type", "must be one of identify, track, page, screen, group, alias"));
        if (batchDefaults != null) {
            mergeDefaults((ObjectNode) message, batchDefaults.fields());
        }
        return parser.parse(message, type, source, receivedAt, batchSentAt);
    }

    /**
     * The batch's {@code context} and {@code integrations} fill what the event's own leave out, as
     * Segment merges them: the event's own values win, field by field. The batch's values are shared
     * between its events, not copied: nothing writes to them after the merge, and a copy per event is
     * what let one request grow a thousandfold.
     */
    private void mergeDefaults(ObjectNode message, ObjectNode defaults) {
        defaults.fields().forEachRemaining(field -> {
            JsonNode own = message.get(field.getKey());
            RawJsonObject raw = RawJsonObject.of(own);
            if (raw != null) {
                // Kept as bytes when it was read (EventObjectReader); filling it in needs its tree.
                own = tree(raw);
                message.set(field.getKey(), own);
            }
            if (own == null || own.isNull()) {
                message.set(field.getKey(), field.getValue());
            } else if (own.isObject()) {
                fillMissing((ObjectNode) own, (ObjectNode) field.getValue());
            }
            // A non-object value is left alone so that the parser names it.
        });
    }

    private JsonNode tree(RawJsonObject raw) {
        try {
            return mapper.readTree(raw.asUnquotedUTF8());
        } catch (IOException e) {
            throw new UncheckedIOException("bytes read as one JSON object did not read again", e);
        }
    }

    private static void fillMissing(ObjectNode target, ObjectNode defaults) {
        Iterator<Map.Entry<String, JsonNode>> fields = defaults.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode existing = target.get(field.getKey());
            if (existing == null || existing.isNull()) {
                target.set(field.getKey(), field.getValue());
            } else if (existing.isObject() && field.getValue().isObject()) {
                fillMissing((ObjectNode) existing, (ObjectNode) field.getValue());
            }
        }
    }

    /** The client library of a batch element: its own context's, else the batch's. */
    private static ClientLibrary library(JsonNode message, BatchDefaults batchDefaults) {
        JsonNode context = message != null && message.isObject() ? message.get("context") : null;
        boolean ownContext = context instanceof RawContext || context != null && context.isObject();
        if (!ownContext && batchDefaults != null) {
            context = batchDefaults.fields().get("context");
        }
        return ClientLibrary.of(context);
    }

    private DeadLetterPublisher.Refused refused(String source, JsonNode message, InvalidEventException reason) {
        JsonNode messageId = message != null && message.isObject() ? message.get("messageId") : null;
        String key = messageId != null && messageId.isValueNode() && !messageId.asText().isBlank()
                ? EventKey.of(source, messageId.asText()) : source;
        LOG.debugf("source=%s key=%s rejected from a batch: %s", source, key, reason.getMessage());
        return new DeadLetterPublisher.Refused(key, asReceived(message), reason.field(), reason.getMessage());
    }

    private byte[] asReceived(JsonNode message) {
        try {
            return mapper.writeValueAsBytes(message);
        } catch (JsonProcessingException e) {
            return new byte[0];
        }
    }
}
