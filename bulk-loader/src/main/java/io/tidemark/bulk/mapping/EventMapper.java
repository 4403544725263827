package io.tidemark.bulk.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tidemark.bulk.config.JobConfig;
import io.tidemark.bulk.source.SourceRow;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a source row into a Segment event as the job's mapping says. A row that cannot be an event
 * (no key, no user, no readable time) becomes {@link MappedRow.Unmappable} naming the field: one bad
 * row is reported and skipped, never a reason to stop the others.
 */
public final class EventMapper {

    private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);
    private static final String LIBRARY = "tidemark-bulk-loader";

    private final String job;
    private final JobConfig.Source source;
    private final JobConfig.Mapping mapping;
    private final JsonNode fixedContext;
    /** Columns that fill a field of their own and so are not repeated as properties. */
    private final Set<String> consumed = new HashSet<>();

    public EventMapper(JobConfig config) {
        this.job = config.job();
        this.source = config.source();
        this.mapping = config.mapping();
        this.fixedContext = JsonValues.of(mapping.context());
        for (String column : new String[] {mapping.eventColumn(), mapping.userId(), mapping.anonymousId(), mapping.timestamp()}) {
            if (column != null) {
                consumed.add(column);
            }
        }
        consumed.addAll(mapping.contextColumns().values());
        consumed.addAll(mapping.exclude());
    }

    public MappedRow map(SourceRow row) {
        List<String> keyParts = new ArrayList<>(source.key().size());
        for (String column : source.key()) {
            Object value = row.get(column);
            if (value == null) {
                return new MappedRow.Unmappable("row " + row.number(), "key",
                        row.has(column) ? "key column " + column + " is null" : "the query returns no column " + column);
            }
            keyParts.add(text(value));
        }
        String key = String.join("/", keyParts);

        Instant timestamp;
        try {
            timestamp = instant(row.get(mapping.timestamp()));
        } catch (DateTimeParseException | IllegalArgumentException e) {
            return new MappedRow.Unmappable(key, "timestamp", "column " + mapping.timestamp() + ": " + e.getMessage());
        }
        String userId = optionalText(row.get(mapping.userId()));
        String anonymousId = optionalText(row.get(mapping.anonymousId()));
        if (userId == null && anonymousId == null) {
            return new MappedRow.Unmappable(key, "userId", "userId or anonymousId is required; columns "
                    + names(mapping.userId(), mapping.anonymousId()) + " are null");
        }
        String eventName = mapping.event() != null ? mapping.event() : optionalText(row.get(mapping.eventColumn()));
        if ("track".equals(mapping.type()) && eventName == null) {
            return new MappedRow.Unmappable(key, "event", "column " + mapping.eventColumn() + " is null");
        }

        Object version = source.version() == null ? null : row.get(source.version());
        String messageId = MessageIds.of(job, source.table(), keyParts, version == null ? null : text(version));

        ObjectNode event = NODES.objectNode();
        event.put("type", mapping.type());
        event.put("messageId", messageId);
        if (eventName != null) {
            event.put(eventNameField(), eventName);
        }
        if (userId != null) {
            event.put("userId", userId);
        }
        if (anonymousId != null) {
            event.put("anonymousId", anonymousId);
        }
        event.put("timestamp", timestamp.toString());
        ObjectNode properties = event.putObject(isTraits() ? "traits" : "properties");
        row.values().forEach((column, value) -> {
            if (!consumed.contains(column)) {
                properties.set(mapping.rename().getOrDefault(column, column), JsonValues.of(value));
            }
        });
        event.set("context", context(row));
        return new MappedRow.Event(key, messageId, event);
    }

    private ObjectNode context(SourceRow row) {
        ObjectNode context = fixedContext.isObject() ? ((ObjectNode) fixedContext).deepCopy() : NODES.objectNode();
        for (Map.Entry<String, String> field : mapping.contextColumns().entrySet()) {
            Object value = row.get(field.getValue());
            if (value != null) {
                // "page.url" is context.page.url, as Segment nests it.
                String[] path = field.getKey().split("\\.");
                ObjectNode parent = context;
                for (int i = 0; i < path.length - 1; i++) {
                    parent = parent.get(path[i]) instanceof ObjectNode existing ? existing : parent.putObject(path[i]);
                }
                parent.set(path[path.length - 1], JsonValues.of(value));
            }
        }
        if (!context.has("library")) {
            context.putObject("library").put("name", LIBRARY);
        }
        return context;
    }

    /** page and screen calls carry their name in {@code name}, the others in {@code event}. */
    private String eventNameField() {
        return "page".equals(mapping.type()) || "screen".equals(mapping.type()) ? "name" : "event";
    }

    private boolean isTraits() {
        return "identify".equals(mapping.type()) || "group".equals(mapping.type());
    }

    /** The event time: a time column, or text in ISO-8601 with an offset (a date alone is its UTC midnight). */
    static Instant instant(Object value) {
        if (value == null) {
            throw new IllegalArgumentException("is null");
        }
        if (value instanceof Instant instant) {
            return instant;
        }
        if (value instanceof LocalDate date) {
            return date.atStartOfDay(ZoneOffset.UTC).toInstant();
        }
        if (value instanceof String text) {
            String trimmed = text.trim();
            if (trimmed.length() == 10) {
                return LocalDate.parse(trimmed).atStartOfDay(ZoneOffset.UTC).toInstant();
            }
            return OffsetDateTime.parse(trimmed).toInstant();
        }
        throw new IllegalArgumentException("holds " + value.getClass().getSimpleName() + ", not a time");
    }

    private static String optionalText(Object value) {
        if (value == null) {
            return null;
        }
        String text = text(value);
        return text.isBlank() ? null : text;
    }

    private static String text(Object value) {
        return value instanceof JsonNode node && node.isValueNode() ? node.asText() : value.toString();
    }

    private static String names(String... columns) {
        List<String> named = new ArrayList<>();
        for (String column : columns) {
            if (column != null) {
                named.add(column);
            }
        }
        return String.join(" and ", named);
    }
}
