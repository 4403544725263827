package io.tidemark.ingest.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.mutiny.Uni;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventKey;
import io.tidemark.event.EventType;
import io.tidemark.ingest.config.IngestConfig;
import io.tidemark.ingest.messaging.DeadLetterPublisher;
import io.tidemark.ingest.messaging.RawEventPublisher;
import io.tidemark.ingest.model.RejectedEvent;
import io.tidemark.ingest.model.TrackingResponse;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Accepts calls: authenticates, limits and reads them, and completes only once Kafka holds the events. */
@ApplicationScoped
public class EventCollector {

    private static final Logger LOG = Logger.getLogger(EventCollector.class);

    private final WriteKeyAuthenticator authenticator;
    private final TrackingRequestReader reader;
    private final SegmentEventParser parser;
    private final SourceRateLimiter rateLimiter;
    private final InFlightLimit inFlight;
    private final KafkaOutage outage;
    private final RawEventPublisher publisher;
    private final DeadLetterPublisher deadLetters;
    private final IngestMetrics metrics;
    private final ObjectMapper mapper;
    private final IngestConfig config;

    public EventCollector(WriteKeyAuthenticator authenticator, TrackingRequestReader reader, SegmentEventParser parser,
            SourceRateLimiter rateLimiter, InFlightLimit inFlight, KafkaOutage outage, RawEventPublisher publisher,
            DeadLetterPublisher deadLetters, IngestMetrics metrics, ObjectMapper mapper, IngestConfig config) {
        this.authenticator = authenticator;
        this.reader = reader;
        this.parser = parser;
        this.rateLimiter = rateLimiter;
        this.inFlight = inFlight;
        this.outage = outage;
        this.publisher = publisher;
        this.deadLetters = deadLetters;
        this.metrics = metrics;
        this.mapper = mapper;
        this.config = config;
    }

    /** One identify, track, page, screen, group or alias call; the endpoint fixes its type. */
    public Uni<TrackingResponse> collect(EventType type, String authorization, byte[] body) {
        long started = System.nanoTime();
        Instant receivedAt = Instant.now();
        String source = authenticate(authorization, body);
        JsonNode message = read(() -> reader.single(body));
        metrics.received(source, body.length);
        CollectedEvent event;
        try {
            if (body.length > config.maxEventBytes()) {
                throw new EventTooLargeException("body", config.maxEventBytes());
            }
            if (message.isObject() && message.has("batch")) {
                // A batch posted to a single-call path would otherwise fail on a missing userId, or worse.
                throw new InvalidEventException("batch", "this path takes one " + type.wireName()
                        + " call; post batches to /v1/batch");
            }
            rateLimiter.admit(source, 1);
            event = parser.parse(message, type, source, receivedAt, null);
        } catch (InvalidEventException e) {
            metrics.rejected(source, reasonTag(e), 1);
            metrics.client(Channel.HTTP, ClientLibrary.of(message.get("context")), "rejected", 1);
            throw e;
        } catch (RateLimitExceededException e) {
            metrics.rejected(source, "rate-limited", 1);
            throw e;
        }
        return store(source, Channel.HTTP, List.of(event), started).replaceWith(TrackingResponse.OK);
    }

    /**
     * A {@code /v1/batch} call: every valid event is stored, every invalid one goes to the dead-letter
     * topic and is listed in the answer; one bad event never costs the good ones.
     */
    public Uni<TrackingResponse> collectBatch(String authorization, byte[] body) {
        long started = System.nanoTime();
        Instant receivedAt = Instant.now();
        String source = authenticate(authorization, body);
        TrackingRequestReader.Batch batch = read(() -> reader.batch(body));
        metrics.received(source, body.length);
        return collectBatch(source, Channel.HTTP, batch, receivedAt, started);
    }

    /** A batch envelope of an authenticated source (a {@code /v1/batch} call or an MQTT message). */
    public Uni<TrackingResponse> collectBatch(String source, Channel channel, TrackingRequestReader.Batch batch,
            Instant receivedAt, long started) {
        Instant batchSentAt = SegmentEventParser.optionalTime(envelope(batch), "sentAt");
        ObjectNode defaults = JsonNodeFactory.instance.objectNode();
        envelopeDefault(defaults, "context", batch.context());
        envelopeDefault(defaults, "integrations", batch.integrations());
        return collectElements(source, channel, batch.elements(),
                defaults.isEmpty() ? null : new BatchDefaults(defaults, batch.defaultsBytes()), batchSentAt, receivedAt,
                started);
    }

    /**
     * A batch's context and integrations, which fill what each event's own leave out, and the bytes they
     * took in the request: the most that merging them adds to each event.
     */
    public record BatchDefaults(ObjectNode fields, long bytes) {
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

    /**
     * Events of an authenticated source, as a batch: the valid ones are stored, the invalid ones parked
     * on the dead-letter topic and listed by index. Bulk import sends its lines through here.
     */
    public Uni<TrackingResponse> collectElements(String source, Channel channel,
            List<TrackingRequestReader.BatchElement> elements, BatchDefaults batchDefaults, Instant batchSentAt,
            Instant receivedAt, long started) {
        if (batchDefaults != null && batchDefaults.bytes() * elements.size() > config.maxRequestBytes()) {
            // Merged into every event, a large context in a batch of many small events would grow the
            // request a thousandfold on its way to Kafka: refuse it before a single copy is made.
            metrics.rejected(source, "too-large", elements.size());
            throw new EventTooLargeException("context", "the batch's context and integrations (" + batchDefaults.bytes()
                    + " bytes), merged into each of its " + elements.size() + " events, would add more than "
                    + config.maxRequestBytes() + " bytes; send fewer events per batch or a smaller context");
        }
        try {
            rateLimiter.admit(source, elements.size());
        } catch (RateLimitExceededException e) {
            metrics.rejected(source, "rate-limited", elements.size());
            throw e;
        }
        List<CollectedEvent> accepted = new ArrayList<>(elements.size());
        List<RejectedEvent> rejected = new ArrayList<>();
        List<DeadLetterPublisher.Refused> parked = new ArrayList<>();
        for (int index = 0; index < elements.size(); index++) {
            TrackingRequestReader.BatchElement element = elements.get(index);
            try {
                accepted.add(batchEvent(element, batchDefaults, source, receivedAt, batchSentAt));
            } catch (InvalidEventException e) {
                metrics.rejected(source, reasonTag(e), 1);
                metrics.client(channel, library(element.message(), batchDefaults), "rejected", 1);
                rejected.add(new RejectedEvent(index, e.field(), e.reason()));
                parked.add(refused(source, element.message(), e));
            }
        }
        Uni<Void> stored = store(source, channel, accepted, started);
        if (!parked.isEmpty()) {
            Uni<Void> deadLettered = Uni.createFrom().deferred(() -> deadLetters.publishAll(source, parked))
                    .ifNoItem().after(config.ackTimeout()).fail()
                    .onFailure().transform(EventNotStoredException::new);
            stored = Uni.join().all(stored, deadLettered).andFailFast().replaceWithVoid();
        }
        return stored.replaceWith(new TrackingResponse(true, List.copyOf(rejected)));
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
    private static void mergeDefaults(ObjectNode message, ObjectNode defaults) {
        defaults.fields().forEachRemaining(field -> {
            JsonNode own = message.get(field.getKey());
            if (own == null || own.isNull()) {
                message.set(field.getKey(), field.getValue());
            } else if (own.isObject()) {
                fillMissing((ObjectNode) own, (ObjectNode) field.getValue());
            }
            // A non-object value is left alone so that the parser names it.
        });
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
        if ((context == null || !context.isObject()) && batchDefaults != null) {
            context = batchDefaults.fields().get("context");
        }
        return ClientLibrary.of(context);
    }

    /** Sends the events and waits for Kafka's acknowledgement of all of them, within the ack timeout. */
    private Uni<Void> store(String source, Channel channel, List<CollectedEvent> events, long started) {
        if (events.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        int count = events.size();
        try {
            outage.check();
        } catch (EventNotStoredException e) {
            metrics.rejected(source, "unavailable", count);
            throw e;
        }
        // Encoded now, not on subscription: this chain lives until Kafka acknowledges, and holding the
        // events there would keep their JSON trees (several times the encoded records) alive that long.
        // Encoded before room is reserved, because the records' size is what the byte budget counts.
        String firstMessageId = events.get(0).messageId();
        IngestMetrics.Tally tally = metrics.tally(events);
        RawEventPublisher.Encoded encoded = publisher.encode(events);
        long bytes = encoded.bytes();
        try {
            inFlight.acquire(count, bytes);
        } catch (ProducerSaturatedException e) {
            metrics.rejected(source, "unavailable", count);
            LOG.warnf("source=%s %d events (%d bytes) refused: %s", source, count, bytes, e.getMessage());
            throw new EventNotStoredException(e);
        }
        Uni<Void> sending;
        try {
            sending = publisher.send(encoded);
        } catch (RuntimeException e) {
            sending = Uni.createFrom().failure(e);
        }
        return sending
                .ifNoItem().after(config.ackTimeout()).fail()
                .onTermination().invoke(() -> inFlight.release(count, bytes))
                .onItem().invoke(() -> {
                    outage.succeeded();
                    metrics.accepted(source, channel, tally);
                    metrics.acknowledged(source, Duration.ofNanos(System.nanoTime() - started));
                })
                .onFailure().transform(failure -> {
                    outage.failed();
                    metrics.rejected(source, "unavailable", count);
                    LOG.warnf("source=%s messageId=%s (+%d more) not acknowledged by Kafka: %s", source,
                            firstMessageId, count - 1, failure.toString());
                    return new EventNotStoredException(failure);
                });
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
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return new byte[0];
        }
    }

    /** A body unreadable before its source is known is counted for no known source. */
    private <T> T read(java.util.function.Supplier<T> reading) {
        try {
            return reading.get();
        } catch (MalformedRequestException e) {
            metrics.rejected(IngestMetrics.UNKNOWN_SOURCE, "malformed", 1);
            throw e;
        }
    }

    /**
     * The source of a call, known before its body is parsed into events: from the Basic header (an
     * unknown one never gets here, see WriteKeyGuard), else from the body's {@code writeKey}, found by
     * a scan that builds no tree.
     */
    private String authenticate(String authorization, byte[] body) {
        String writeKey = authenticator.carriesWriteKey(authorization) ? null : read(() -> reader.writeKey(body));
        return authenticator.source(authorization, writeKey).orElseThrow(() -> {
            metrics.rejected(IngestMetrics.UNKNOWN_SOURCE, "unauthorized", 1);
            return new UnknownWriteKeyException();
        });
    }

    private ObjectNode envelope(TrackingRequestReader.Batch batch) {
        ObjectNode envelope = mapper.createObjectNode();
        if (batch.sentAt() != null) {
            envelope.set("sentAt", batch.sentAt());
        }
        return envelope;
    }

    private static String reasonTag(InvalidEventException e) {
        return e instanceof EventTooLargeException ? "too-large" : "invalid";
    }
}
