package io.tidemark.bulk.mapping;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tidemark.bulk.config.JobConfig;
import io.tidemark.bulk.config.JobConfigException;
import io.tidemark.bulk.source.SourceRow;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
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
    /** Reads a streamed event back as a tree with its numbers as they were written (decimals exact). */
    private static final ObjectMapper TREES = new ObjectMapper().setNodeFactory(NODES)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private final String job;
    private final JobConfig.Source source;
    private final JobConfig.Mapping mapping;
    private final JsonNode fixedContext;
    /** Columns that fill a field of their own and so are not repeated as properties. */
    private final Set<String> consumed = new HashSet<>();
    /** Whether a row's property names were checked: every row of a query has the same columns. */
    private boolean namesChecked;

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

    /** The row's event as a tree: for a dry run's sample and for tests; the loader streams with {@link #write}. */
    public MappedRow map(SourceRow row) {
        Fields fields = fields(row);
        if (fields.refusal() != null) {
            return fields.refusal();
        }
        try (TokenBuffer buffer = new TokenBuffer(TREES, false)) {
            write(fields, row, buffer);
            // Read back through the same exact-decimal factory the events were built with: 129.90 stays 129.90.
            JsonParser parser = buffer.asParser(TREES);
            return new MappedRow.Event(fields.key(), fields.messageId(), TREES.readTree(parser));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes the row's event into {@code out} as one JSON object, or nothing when the row cannot be an
     * event. Streamed rather than built as a tree and then serialized: the tree cost the loader a third
     * of its CPU and most of its allocation (bench/run bulk, JFR).
     */
    public MappedRow write(SourceRow row, JsonGenerator out) throws IOException {
        Fields fields = fields(row);
        if (fields.refusal() != null) {
            return fields.refusal();
        }
        write(fields, row, out);
        return new MappedRow.Written(fields.key(), fields.messageId());
    }

    /** What a row's event is made of, checked before a byte of it is written; or why it cannot be one. */
    private record Fields(String key, String messageId, String eventName, String userId, String anonymousId,
            Instant timestamp, MappedRow.Unmappable refusal) {

        static Fields refused(MappedRow.Unmappable refusal) {
            return new Fields(refusal.key(), null, null, null, null, null, refusal);
        }
    }

    private Fields fields(SourceRow row) {
        if (!namesChecked) {
            checkPropertyNames(row);
            namesChecked = true;
        }
        List<String> keyParts = new ArrayList<>(source.key().size());
        for (String column : source.key()) {
            Object value = row.get(column);
            if (value == null) {
                return Fields.refused(new MappedRow.Unmappable("row " + row.number(), "key",
                        row.has(column) ? "key column " + column + " is null" : "the query returns no column " + column));
            }
            keyParts.add(text(value));
        }
        String key = String.join("/", keyParts);

        Instant timestamp;
        try {
            timestamp = instant(row.get(mapping.timestamp()));
        } catch (DateTimeParseException | IllegalArgumentException e) {
            return Fields.refused(new MappedRow.Unmappable(key, "timestamp", "column " + mapping.timestamp() + ": " + e.getMessage()));
        }
        String userId = optionalText(row.get(mapping.userId()));
        String anonymousId = optionalText(row.get(mapping.anonymousId()));
        if (userId == null && anonymousId == null) {
            return Fields.refused(new MappedRow.Unmappable(key, "userId", "userId or anonymousId is required; columns "
                    + names(mapping.userId(), mapping.anonymousId()) + " are null"));
        }
        String eventName = mapping.event() != null ? mapping.event() : optionalText(row.get(mapping.eventColumn()));
        if ("track".equals(mapping.type()) && eventName == null) {
            return Fields.refused(new MappedRow.Unmappable(key, "event", "column " + mapping.eventColumn() + " is null"));
        }

        Object version = source.version() == null ? null : row.get(source.version());
        String messageId = MessageIds.of(job, source.table(), keyParts, version == null ? null : text(version));
        return new Fields(key, messageId, eventName, userId, anonymousId, timestamp, null);
    }

    /**
     * A rename onto a name the query also returns would write one property twice (a tree kept the last,
     * silently dropping a column): refused before the first event, naming both columns.
     */
    private void checkPropertyNames(SourceRow row) {
        Map<String, String> columnOf = new HashMap<>();
        for (String column : row.values().keySet()) {
            if (consumed.contains(column)) {
                continue;
            }
            String name = mapping.rename().getOrDefault(column, column);
            String other = columnOf.putIfAbsent(name, column);
            if (other != null) {
                throw new JobConfigException("mapping.rename: columns " + other + " and " + column
                        + " would both be property " + name + "; rename or exclude one of them");
            }
        }
    }

    private void write(Fields fields, SourceRow row, JsonGenerator out) throws IOException {
        out.writeStartObject();
        out.writeStringField("type", mapping.type());
        out.writeStringField("messageId", fields.messageId());
        if (fields.eventName() != null) {
            out.writeStringField(eventNameField(), fields.eventName());
        }
        if (fields.userId() != null) {
            out.writeStringField("userId", fields.userId());
        }
        if (fields.anonymousId() != null) {
            out.writeStringField("anonymousId", fields.anonymousId());
        }
        out.writeFieldName("timestamp");
        JsonValues.write(fields.timestamp(), out);
        out.writeObjectFieldStart(isTraits() ? "traits" : "properties");
        for (Map.Entry<String, Object> column : row.values().entrySet()) {
            if (!consumed.contains(column.getKey())) {
                out.writeFieldName(mapping.rename().getOrDefault(column.getKey(), column.getKey()));
                JsonValues.write(column.getValue(), out);
            }
        }
        out.writeEndObject();
        out.writeFieldName("context");
        out.writeTree(context(row));
        out.writeEndObject();
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
