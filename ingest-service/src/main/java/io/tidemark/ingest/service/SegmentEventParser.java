package io.tidemark.ingest.service;

import com.fasterxml.jackson.databind.JsonNode;
import io.tidemark.event.CollectedEvent;
import io.tidemark.event.EventFlag;
import io.tidemark.event.EventType;
import io.tidemark.event.Iso8601;
import io.tidemark.event.RawJsonObject;
import io.tidemark.ingest.config.IngestConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.Set;
import java.util.UUID;
import io.tidemark.ingest.service.rejection.InvalidEventException;

/** Reads one Segment Tracking API message into a {@link CollectedEvent}, or says which field is wrong. */
@ApplicationScoped
public class SegmentEventParser {

    private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999999Z");

    private final IngestConfig config;
    private final EventTime.Policy timePolicy;

    public SegmentEventParser(IngestConfig config) {
        this.config = config;
        this.timePolicy = new EventTime.Policy(config.clockTolerance(), config.futureTolerance(), config.maxEventAge());
    }

    /**
     * @param type the call type, fixed by the endpoint
     * @param batchSentAt the batch envelope's sentAt, used when the message has none; may be null
     */
    public CollectedEvent parse(JsonNode message, EventType type, String source, Instant receivedAt, Instant batchSentAt) {
        if (message == null || !message.isObject()) {
            throw new InvalidEventException("body", "must be a JSON object");
        }
        Set<EventFlag> flags = EnumSet.noneOf(EventFlag.class);
        String messageId = optionalId(message, "messageId");
        if (messageId == null) {
            messageId = UUID.randomUUID().toString();
            flags.add(EventFlag.GENERATED_MESSAGE_ID);
        }
        String userId = optionalId(message, "userId");
        String anonymousId = optionalId(message, "anonymousId");
        if (userId == null && anonymousId == null) {
            throw new InvalidEventException("userId", "userId or anonymousId is required");
        }
        String event = optionalId(message, "event");
        if (type == EventType.TRACK && event == null) {
            throw new InvalidEventException("event", "is required for a track call");
        }
        String groupId = optionalId(message, "groupId");
        if (type == EventType.GROUP && groupId == null) {
            throw new InvalidEventException("groupId", "is required for a group call");
        }
        String previousId = optionalId(message, "previousId");
        if (type == EventType.ALIAS && previousId == null) {
            throw new InvalidEventException("previousId", "is required for an alias call");
        }
        Instant timestamp = optionalTime(message, "timestamp");
        Instant originalTimestamp = optionalTime(message, "originalTimestamp");
        Instant sentAt = optionalTime(message, "sentAt");
        if (sentAt == null) {
            sentAt = batchSentAt;
        }
        EventTime.ClientTimes times = new EventTime.ClientTimes(timestamp, originalTimestamp, sentAt,
                config.batchStampingLibraries().contains(ClientLibrary.of(message.get("context")).name()));
        EventTime.Decided decided = EventTime.decide(receivedAt, times, timePolicy);
        if (decided.timestamp().isBefore(receivedAt.minus(config.maxEventAge()))) {
            // An event this old would land on a day the index no longer keeps, or on no day at all.
            throw new InvalidEventException(timestamp != null ? "timestamp" : "originalTimestamp",
                    "lies before the event-time window: events may be at most " + config.maxEventAge().toDays()
                            + " days old (tidemark.ingest.max-event-age)");
        }
        flags.addAll(decided.flags());
        JsonNode properties = optionalObject(message, "properties");
        if (type == EventType.PAGE || type == EventType.SCREEN) {
            properties = PageCategory.intoProperties(properties, category(message));
        }
        return new CollectedEvent(CollectedEvent.FORMAT_VERSION, source, messageId, type, event,
                optionalId(message, "name"), userId, anonymousId, groupId,
                previousId, properties,
                optionalObject(message, "traits"), optionalObject(message, "context"),
                optionalObject(message, "integrations"), decided.timestamp(), times.clientTime(), sentAt, receivedAt, flags);
    }

    /**
     * A page's or screen's category as text, a number too; of another shape it is left out, as every category was
     * before it was kept: a field this decorative must not cost its event.
     */
    private static String category(JsonNode message) {
        JsonNode node = message.get("category");
        if (node == null || !(node.isTextual() || node.isNumber()) || node.asText().isBlank()) {
            return null;
        }
        requireValidUnicode(node.asText(), "category");
        return node.asText();
    }

    /** A string field (numbers are accepted and kept as text, as SDKs send numeric ids). */
    private String optionalId(JsonNode message, String field) {
        JsonNode node = message.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual() && !node.isIntegralNumber()) {
            throw new InvalidEventException(field, "must be a string");
        }
        String value = node.asText();
        if (value.isBlank()) {
            return null;
        }
        if (value.length() > config.maxIdLength()) {
            throw new InvalidEventException(field, "is longer than " + config.maxIdLength() + " characters");
        }
        requireValidUnicode(value, field);
        return value;
    }

    static Instant optionalTime(JsonNode message, String field) {
        return optionalTimeValue(message.get(field), field);
    }

    /** The instant {@code node} holds as the value of {@code field}; null when it is absent or null. */
    static Instant optionalTimeValue(JsonNode node, String field) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new InvalidEventException(field, "must be an ISO-8601 date-time string");
        }
        Instant time;
        try {
            time = Iso8601.parse(node.asText());
        } catch (DateTimeParseException e) {
            throw new InvalidEventException(field, "must be an ISO-8601 date-time with an offset, e.g. 2026-01-31T12:00:00.000Z");
        }
        // Beyond these years no arithmetic on the time is safe, and no reader of the marts expects them.
        if (time.isBefore(EARLIEST) || time.isAfter(LATEST)) {
            throw new InvalidEventException(field, "must lie between the years 1 and 9999");
        }
        return time;
    }

    private static JsonNode optionalObject(JsonNode message, String field) {
        JsonNode node = message.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (RawJsonObject.of(node) != null) {
            // An object EventObjectReader kept as bytes: its text was checked as it was read.
            return node;
        }
        if (!node.isObject()) {
            throw new InvalidEventException(field, "must be a JSON object");
        }
        requireValidUnicode(node, field);
        return node;
    }

    /**
     * JSON escapes (and lenient UTF-8 decoding) let unpaired surrogates into strings, but no UTF-8
     * store can hold them: Cassandra's text codec refuses the row, so dedup could never store an
     * event we had acknowledged. Refuse it here, with the field named.
     */
    private static void requireValidUnicode(JsonNode node, String field) {
        if (node.isTextual()) {
            requireValidUnicode(node.textValue(), field);
        } else if (node.isObject()) {
            var fields = node.fields();
            while (fields.hasNext()) {
                var entry = fields.next();
                requireValidUnicode(entry.getKey(), field);
                requireValidUnicode(entry.getValue(), field);
            }
        } else if (node.isArray()) {
            for (JsonNode element : node) {
                requireValidUnicode(element, field);
            }
        }
    }

    private static void requireValidUnicode(String value, String field) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidEventException(field, "is not valid Unicode: it holds an unpaired surrogate");
            }
        }
    }
}
