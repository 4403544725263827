package io.tidemark.ingest.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.tidemark.event.EventType;
import io.tidemark.ingest.config.IngestConfig;
import io.tidemark.ingest.config.MqttConfig;
import io.tidemark.ingest.messaging.DeadLetterPublisher;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import io.tidemark.ingest.service.rejection.EventNotStoredException;
import io.tidemark.ingest.service.rejection.InvalidEventException;
import io.tidemark.ingest.service.rejection.MalformedRequestException;
import io.tidemark.ingest.service.rejection.RateLimitExceededException;

/**
 * Stores what a device published over MQTT through the same write-key check, validation, receive-time
 * stamping and Kafka path as the HTTP API, and says whether the MQTT message may be acknowledged.
 * A message is one Segment event (its {@code type} defaults to track) or a {@code {"batch":[...]}}.
 */
@ApplicationScoped
public class DeviceEventCollector {

    private static final Logger LOG = Logger.getLogger(DeviceEventCollector.class);
    static final String CHANNEL = "mqtt";

    /** What becomes of the MQTT message. */
    public enum Outcome {
        /** Kafka holds every valid event and every refused one is on the dead-letter topic: acknowledge. */
        STORED,
        /**
         * Refused as a whole (unknown write key, unreadable or oversized payload, or an unexpected failure on
         * every one of its tries); a retry cannot help: acknowledge.
         */
        REFUSED,
        /** Kafka did not take it now, or the source's rate limit is spent: leave it unacknowledged and try again. */
        RETRY
    }

    private final WriteKeyAuthenticator authenticator;
    private final TrackingRequestReader reader;
    private final EventCollector collector;
    private final DeadLetterPublisher deadLetters;
    private final AckDeadline deadline;
    private final IngestMetrics metrics;
    private final MeterRegistry registry;
    private final IngestConfig config;
    private final MqttConfig mqtt;
    private final Map<String, Counter> messages = new ConcurrentHashMap<>();

    public DeviceEventCollector(WriteKeyAuthenticator authenticator, TrackingRequestReader reader,
            EventCollector collector, DeadLetterPublisher deadLetters, AckDeadline deadline, IngestMetrics metrics,
            MeterRegistry registry, IngestConfig config, MqttConfig mqtt) {
        this.authenticator = authenticator;
        this.reader = reader;
        this.collector = collector;
        this.deadLetters = deadLetters;
        this.deadline = deadline;
        this.metrics = metrics;
        this.registry = registry;
        this.config = config;
        this.mqtt = mqtt;
    }

    /**
     * @param writeKey the write key the message's topic carries; empty when the topic has none
     * @param attempt 1 for the first try of this message, then 2, 3, ...
     * @return never fails: every failure is turned into the outcome that keeps the message safe
     */
    public Uni<Outcome> collect(Optional<String> writeKey, byte[] payload, int attempt) {
        long started = System.nanoTime();
        Instant receivedAt = Instant.now();
        Optional<String> known = source(writeKey);
        if (known.isEmpty()) {
            // Not parked on the dead-letter topic: anyone who can reach the broker could fill it. Counted and logged
            // (without the key, a secret); the broker's ACLs are the place to stop such publishers.
            metrics.rejected(IngestMetrics.UNKNOWN_SOURCE, "unauthorized", 1);
            count(IngestMetrics.UNKNOWN_SOURCE, "unauthorized");
            LOG.warnf("MQTT message of %d bytes dropped: its topic carries no known write key", payload.length);
            return Uni.createFrom().item(Outcome.REFUSED);
        }
        String source = known.get();
        metrics.received(source, payload.length);
        if (payload.length > config.maxRequestBytes()) {
            metrics.rejected(source, "too-large", 1);
            count(source, "too-large");
            LOG.warnf("source=%s MQTT message of %d bytes dropped: over the %d bytes a request may hold", source,
                    payload.length, config.maxRequestBytes());
            return Uni.createFrom().item(Outcome.REFUSED);
        }
        return Uni.createFrom().deferred(() -> store(source, payload, receivedAt, started))
                .onItem().transform(stored -> Outcome.STORED)
                .onFailure(MalformedRequestException.class).recoverWithUni(e -> {
                    MalformedRequestException malformed = metrics.refused(source, 1, (MalformedRequestException) e);
                    return park(source, payload, malformed.field(), malformed.getMessage());
                })
                .onFailure(InvalidEventException.class).recoverWithUni(e -> {
                    // Counted where it was refused, by the events it refused (admission, the envelope).
                    InvalidEventException invalid = (InvalidEventException) e;
                    return park(source, payload, invalid.field(), invalid.getMessage());
                })
                .onFailure().recoverWithUni(e -> {
                    if (e instanceof EventNotStoredException || e instanceof RateLimitExceededException) {
                        LOG.debugf("source=%s MQTT message left unacknowledged, tried again later: %s", source,
                                e.getMessage());
                        return Uni.createFrom().item(Outcome.RETRY);
                    }
                    if (attempt < mqtt.maxAttempts()) {
                        LOG.errorf(e, "source=%s MQTT message left unacknowledged after an unexpected failure (try %d of %d)",
                                source, attempt, mqtt.maxAttempts());
                        return Uni.createFrom().item(Outcome.RETRY);
                    }
                    // The same bytes met the same failure every time: another try cannot help, and an
                    // unacknowledged message would be tried for ever and hold a slot of the in-flight window.
                    LOG.errorf(e, "source=%s MQTT message failed %d times with an unexpected error", source, attempt);
                    metrics.rejected(source, "failed", 1);
                    return park(source, payload, null, "failed " + attempt + " times with an unexpected error: " + e);
                })
                .invoke(outcome -> count(source, outcome.name().toLowerCase(Locale.ROOT)));
    }

    private Uni<?> store(String source, byte[] payload, Instant receivedAt, long started) {
        JsonNode root = reader.whole(payload, "the MQTT message");
        if (!root.isObject()) {
            throw new MalformedRequestException("body", "an MQTT message must be a JSON object: one event or {\"batch\":[...]}");
        }
        if (root.has("batch")) {
            // Read again as a token stream so each event's size is known, as for /v1/batch.
            return collector.collectBatch(source, Channel.MQTT, reader.batch(payload), receivedAt, started);
        }
        ObjectNode event = (ObjectNode) root;
        JsonNode type = event.get("type");
        if (type == null || type.isNull()) {
            // Devices mostly report what happened; a single event without a type is a track call.
            event.put("type", EventType.TRACK.name().toLowerCase(Locale.ROOT));
        }
        return collector.collectElements(source, Channel.MQTT, List.of(new TrackingRequestReader.BatchElement(event, payload.length)),
                null, null, receivedAt, started);
    }

    /** The whole message is refused: park it as received, then it may be acknowledged. */
    private Uni<Outcome> park(String source, byte[] payload, String field, String reason) {
        LOG.infof("source=%s MQTT message refused and parked on the dead-letter topic: %s", source, reason);
        return deadline.bound(deadLetters.publishAll(source, List.of(new DeadLetterPublisher.Refused(source, payload, field, reason))))
                .replaceWith(Outcome.REFUSED)
                .onFailure().recoverWithItem(e -> {
                    LOG.debugf("source=%s refused MQTT message not parked yet, tried again later: %s", source, e);
                    return Outcome.RETRY;
                });
    }

    /**
     * A message over the largest size ingest reads ({@code limit}), read past without its payload: nothing of it
     * can be stored or parked, so it is counted as too large and logged, and the caller acknowledges it.
     */
    public void unread(Optional<String> writeKey, int bytes, int limit) {
        Optional<String> known = source(writeKey);
        String source = known.orElse(IngestMetrics.UNKNOWN_SOURCE);
        known.ifPresent(s -> metrics.received(s, bytes));
        metrics.rejected(source, "too-large", 1);
        count(source, "too-large");
        LOG.warnf("source=%s MQTT message of %d bytes dropped unread: over the %d bytes ingest reads"
                + " (tidemark.ingest.mqtt.max-message-bytes)", source, bytes, limit);
    }

    /**
     * A QoS 0 message Kafka did not take, dropped rather than held for another try: ingest holds no more
     * of them ({@code max-held-qos0-bytes}), and the broker never sends one again.
     */
    public void dropped(Optional<String> writeKey, byte[] payload) {
        String source = source(writeKey).orElse(IngestMetrics.UNKNOWN_SOURCE);
        metrics.rejected(source, "dropped", 1);
        count(source, "dropped");
        LOG.debugf("source=%s QoS 0 MQTT message of %d bytes dropped: Kafka did not take it and %d bytes of such"
                + " messages are held already", source, payload.length, mqtt.maxHeldQos0Bytes());
    }

    /** The source whose write key a topic carries; empty when it carries none, or one nobody knows. */
    private Optional<String> source(Optional<String> writeKey) {
        return writeKey.flatMap(key -> authenticator.source(null, key));
    }

    private void count(String source, String outcome) {
        messages.computeIfAbsent(source + '\n' + outcome, k -> Counter.builder("tidemark.ingest.device.messages")
                .description("MQTT messages from devices, by outcome (stored, refused, retry, unauthorized, too-large, dropped)")
                .tag("source", source).tag("outcome", outcome).tag("channel", CHANNEL).register(registry))
                .increment();
    }
}
