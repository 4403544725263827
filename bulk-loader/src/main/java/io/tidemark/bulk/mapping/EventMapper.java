package io.tidemark.bulk.mapping;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tidemark.bulk.config.JobConfig;
import io.tidemark.bulk.config.JobConfigException;
import io.tidemark.bulk.source.Columns;
import io.tidemark.bulk.source.SourceRow;
import io.tidemark.event.Iso8601;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a source row into a Segment event as the job's mapping says. A row that cannot be an event
 * (no key, no user, no readable time) becomes {@link MappedRow.Unmappable} naming the field: one bad
 * row is reported and skipped, never a reason to stop the others.
 */
public final class EventMapper {

    private static final JsonNodeFactory NODES = ExactJson.NODES;
    private static final String LIBRARY = "tidemark-bulk-loader";
    /** Reads a streamed event back as a tree with its numbers as they were written. */
    private static final ObjectMapper TREES = ExactJson.TREES;

    private static final SerializedString TYPE = new SerializedString("type");
    private static final SerializedString MESSAGE_ID = new SerializedString("messageId");
    private static final SerializedString USER_ID = new SerializedString("userId");
    private static final SerializedString ANONYMOUS_ID = new SerializedString("anonymousId");
    private static final SerializedString GROUP_ID = new SerializedString("groupId");
    private static final SerializedString TIMESTAMP = new SerializedString("timestamp");
    private static final SerializedString CONTEXT = new SerializedString("context");

    private final JobConfig.Source source;
    private final JobConfig.Mapping mapping;
    private final JsonNode fixedContext;
    private final MessageIds messageIds;
    /** Columns that fill a field of their own and so are not repeated as properties. */
    private final Set<String> consumed = new HashSet<>();
    /*
     * What is the same in every event of the job is encoded once, not per row: names, the type, a fixed
     * event name, and the whole context when no column adds to it (it was copied as a tree and serialized
     * for each row: a tenth of the loader's samples, bench/run bulk, JFR).
     */
    private final SerializedString type;
    private final SerializedString eventNameField;
    private final SerializedString fixedEventName;
    private final SerializedString propertiesField;
    /** The context as JSON text when it is the same for every row, else null. */
    private final SerializedString constantContext;
    /** Room for one formatted instant, reused for every time the mapper writes. */
    private final byte[] instantText = new byte[Iso8601.MAX_FORMATTED];
    /** Where the mapping's columns are in the rows of the current result set. */
    private Layout layout;
    /** Column to the setting that names it: each must be among a result set's columns. */
    private final Map<String, String> namedColumns;

    public EventMapper(JobConfig config) {
        this.source = config.source();
        this.mapping = config.mapping();
        this.fixedContext = JsonValues.of(mapping.context());
        this.messageIds = new MessageIds(config.job(), source.table());
        this.namedColumns = namedColumns(source, mapping);
        for (String column : new String[] {mapping.eventColumn(), mapping.userId(), mapping.anonymousId(), mapping.timestamp(),
                mapping.groupId()}) {
            if (column != null) {
                consumed.add(column);
            }
        }
        consumed.addAll(mapping.contextColumns().values());
        consumed.addAll(mapping.exclude());
        this.type = new SerializedString(mapping.type());
        // page and screen calls carry their name in "name", the others in "event".
        this.eventNameField = new SerializedString("page".equals(mapping.type()) || "screen".equals(mapping.type()) ? "name" : "event");
        this.fixedEventName = mapping.event() == null ? null : new SerializedString(mapping.event());
        this.propertiesField = new SerializedString(
                "identify".equals(mapping.type()) || "group".equals(mapping.type()) ? "traits" : "properties");
        try {
            this.constantContext = mapping.contextColumns().isEmpty()
                    ? new SerializedString(TREES.writeValueAsString(context(null))) : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The row's event as a tree: for a dry run's sample and for tests; the loader streams with {@link #write}. */
    public MappedRow map(SourceRow row) {
        Fields fields = fields(row);
        if (fields.refusal() != null) {
            return fields.refusal();
        }
        try (TokenBuffer buffer = new TokenBuffer(TREES, false)) {
            write(fields, row, buffer, false);
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
        write(fields, row, out, true);
        return new MappedRow.Written(fields.key(), fields.messageId());
    }

    /** What a row's event is made of, checked before a byte of it is written; or why it cannot be one. */
    private record Fields(String key, String messageId, String eventName, String userId, String anonymousId,
            String groupId, Instant timestamp, MappedRow.Unmappable refusal) {

        static Fields refused(MappedRow.Unmappable refusal) {
            return new Fields(refusal.key(), null, null, null, null, null, null, refusal);
        }
    }

    private Fields fields(SourceRow row) {
        Layout at = layout(row.columns());
        Object[] values = row.values();
        String[] keyParts = new String[at.key.length];
        for (int i = 0; i < at.key.length; i++) {
            Object value = value(values, at.key[i]);
            if (value == null) {
                String column = source.key().get(i);
                return Fields.refused(new MappedRow.Unmappable("row " + row.number(), "key", "key column " + column + " is null"));
            }
            keyParts[i] = text(value);
        }
        String key = keyParts.length == 1 ? keyParts[0] : String.join("/", keyParts);

        Instant timestamp;
        try {
            timestamp = instant(value(values, at.timestamp));
        } catch (DateTimeParseException | IllegalArgumentException e) {
            return Fields.refused(new MappedRow.Unmappable(key, "timestamp", "column " + mapping.timestamp() + ": " + e.getMessage()));
        }
        String userId = optionalText(value(values, at.userId));
        String anonymousId = optionalText(value(values, at.anonymousId));
        if (userId == null && anonymousId == null) {
            return Fields.refused(new MappedRow.Unmappable(key, "userId", "userId or anonymousId is required; columns "
                    + names(mapping.userId(), mapping.anonymousId()) + " are null"));
        }
        String eventName = mapping.event() != null ? mapping.event() : optionalText(value(values, at.eventColumn));
        if ("track".equals(mapping.type()) && eventName == null) {
            return Fields.refused(new MappedRow.Unmappable(key, "event", "column " + mapping.eventColumn() + " is null"));
        }
        String groupId = optionalText(value(values, at.groupId));
        if ("group".equals(mapping.type()) && groupId == null) {
            return Fields.refused(new MappedRow.Unmappable(key, "groupId", "column " + mapping.groupId() + " is null"));
        }

        Object version = value(values, at.version);
        String messageId = messageIds.of(keyParts, version == null ? null : text(version));
        return new Fields(key, messageId, eventName, userId, anonymousId, groupId, timestamp, null);
    }

    /** The value at a layout position; null where the query returns no such column. */
    private static Object value(Object[] values, int position) {
        return position < 0 ? null : values[position];
    }

    /**
     * Positions of the mapping's columns in rows of these columns: worked out once per result set (every
     * row of a query shares its columns), so a row is read by index rather than looked up by name.
     */
    private static final class Layout {
        final Columns columns;
        final int[] key;
        final int timestamp;
        final int userId;
        final int anonymousId;
        final int eventColumn;
        final int groupId;
        final int version;
        /** Properties: the position of each column and its name in the event, pre-encoded. */
        final int[] properties;
        final SerializedString[] propertyNames;
        /** Context columns: the position of each and its path under context ("page.url" nests). */
        final int[] contextColumns;
        final String[][] contextPaths;

        Layout(Columns columns, int[] key, int timestamp, int userId, int anonymousId, int eventColumn, int groupId,
                int version, int[] properties, SerializedString[] propertyNames, int[] contextColumns, String[][] contextPaths) {
            this.columns = columns;
            this.key = key;
            this.timestamp = timestamp;
            this.userId = userId;
            this.anonymousId = anonymousId;
            this.eventColumn = eventColumn;
            this.groupId = groupId;
            this.version = version;
            this.properties = properties;
            this.propertyNames = propertyNames;
            this.contextColumns = contextColumns;
            this.contextPaths = contextPaths;
        }
    }

    private Layout layout(Columns columns) {
        if (layout != null && layout.columns == columns) {
            return layout;
        }
        requireNamedColumns(columns);
        int[] key = new int[source.key().size()];
        for (int i = 0; i < key.length; i++) {
            key[i] = columns.indexOf(source.key().get(i));
        }
        // Every column not used for a field of its own is a property, once, in the query's order.
        List<Integer> properties = new ArrayList<>();
        List<SerializedString> names = new ArrayList<>();
        Map<String, String> columnOf = new HashMap<>();
        for (String column : columns.labels()) {
            if (consumed.contains(column) || columnOf.containsValue(column)) {
                continue;
            }
            String name = mapping.rename().getOrDefault(column, column);
            String other = columnOf.putIfAbsent(name, column);
            if (other != null) {
                // A rename onto a name the query also returns would write one property twice (a tree kept the
                // last, silently dropping a column): refused before the first event, naming both columns.
                throw new JobConfigException("mapping.rename: columns " + other + " and " + column
                        + " would both be property " + name + "; rename or exclude one of them");
            }
            properties.add(columns.indexOf(column));
            names.add(new SerializedString(name));
        }
        int[] contextColumns = new int[mapping.contextColumns().size()];
        String[][] contextPaths = new String[contextColumns.length][];
        int c = 0;
        for (Map.Entry<String, String> field : mapping.contextColumns().entrySet()) {
            contextColumns[c] = columns.indexOf(field.getValue());
            contextPaths[c++] = field.getKey().split("\\.");
        }
        layout = new Layout(columns, key, index(columns, mapping.timestamp()), index(columns, mapping.userId()),
                index(columns, mapping.anonymousId()), index(columns, mapping.eventColumn()), index(columns, mapping.groupId()),
                index(columns, source.version()),
                properties.stream().mapToInt(Integer::intValue).toArray(), names.toArray(SerializedString[]::new),
                contextColumns, contextPaths);
        return layout;
    }

    /**
     * Refuses, before the first event of a result set is written, columns that would map silently wrong:
     * a column the job names that the query does not return (a typo, a case, a column dropped under
     * {@code SELECT *}: every row refused, or its version left out of the messageIds, or an excluded
     * column sent as a property), and a label the query returns twice (a join's {@code SELECT *}), of
     * which only the last was read: the key of another table gave many rows one messageId.
     */
    /** Each column the job names, with the first setting naming it, in the order a missing one is reported. */
    private static Map<String, String> namedColumns(JobConfig.Source source, JobConfig.Mapping mapping) {
        Map<String, String> named = new LinkedHashMap<>();
        source.key().forEach(column -> named.put(column, "source.key"));
        putNamed(named, source.version(), "source.version");
        putNamed(named, mapping.timestamp(), "mapping.timestamp");
        putNamed(named, mapping.userId(), "mapping.user-id");
        putNamed(named, mapping.anonymousId(), "mapping.anonymous-id");
        putNamed(named, mapping.eventColumn(), "mapping.event-column");
        putNamed(named, mapping.groupId(), "mapping.group-id");
        mapping.contextColumns().values().forEach(column -> putNamed(named, column, "mapping.context-columns"));
        mapping.exclude().forEach(column -> putNamed(named, column, "mapping.exclude"));
        return Collections.unmodifiableMap(named);
    }

    private void requireNamedColumns(Columns columns) {
        List<String> missing = new ArrayList<>();
        namedColumns.forEach((column, setting) -> {
            if (columns.indexOf(column) < 0) {
                missing.add(setting + ": " + column);
            }
        });
        if (!missing.isEmpty()) {
            throw new JobConfigException("the query returns no column " + String.join(", ", missing)
                    + "; it returns " + String.join(", ", columns.labels()));
        }
        Set<String> seen = new HashSet<>();
        Set<String> repeated = new LinkedHashSet<>();
        for (String label : columns.labels()) {
            if (!seen.add(label) && !mapping.exclude().contains(label)) {
                repeated.add(label);
            }
        }
        if (!repeated.isEmpty()) {
            throw new JobConfigException("source.query: returns " + String.join(", ", repeated) + " more than once (a join's"
                    + " SELECT *?), and only one could be read; name each column once, e.g. SELECT o.id, c.id AS customer_id");
        }
    }

    private static void putNamed(Map<String, String> named, String column, String setting) {
        if (column != null) {
            named.putIfAbsent(column, setting);
        }
    }

    private static int index(Columns columns, String column) {
        return column == null ? -1 : columns.indexOf(column);
    }

    /**
     * {@code constantParts}: splice the pre-encoded context in as raw JSON; a tree (for {@link #map}) is
     * given it as a tree.
     */
    private void write(Fields fields, SourceRow row, JsonGenerator out, boolean constantParts) throws IOException {
        Layout at = layout;
        Object[] values = row.values();
        out.writeStartObject();
        out.writeFieldName(TYPE);
        out.writeString(type);
        out.writeFieldName(MESSAGE_ID);
        out.writeString(fields.messageId());
        if (fields.eventName() != null) {
            out.writeFieldName(eventNameField);
            if (fixedEventName != null) {
                out.writeString(fixedEventName);
            } else {
                out.writeString(fields.eventName());
            }
        }
        if (fields.userId() != null) {
            out.writeFieldName(USER_ID);
            out.writeString(fields.userId());
        }
        if (fields.anonymousId() != null) {
            out.writeFieldName(ANONYMOUS_ID);
            out.writeString(fields.anonymousId());
        }
        if (fields.groupId() != null) {
            out.writeFieldName(GROUP_ID);
            out.writeString(fields.groupId());
        }
        out.writeFieldName(TIMESTAMP);
        Iso8601.write(fields.timestamp(), instantText, out);
        out.writeFieldName(propertiesField);
        out.writeStartObject();
        for (int i = 0; i < at.properties.length; i++) {
            out.writeFieldName(at.propertyNames[i]);
            JsonValues.write(values[at.properties[i]], instantText, out);
        }
        out.writeEndObject();
        out.writeFieldName(CONTEXT);
        if (constantContext != null && constantParts) {
            out.writeRawValue(constantContext);
        } else {
            out.writeTree(context(values));
        }
        out.writeEndObject();
    }

    /** The fixed context with the row's context columns ({@code values} null: the fixed part alone). */
    private ObjectNode context(Object[] values) {
        ObjectNode context = fixedContext.isObject() ? ((ObjectNode) fixedContext).deepCopy() : NODES.objectNode();
        if (values != null) {
            for (int i = 0; i < layout.contextColumns.length; i++) {
                Object value = value(values, layout.contextColumns[i]);
                if (value != null) {
                    // "page.url" is context.page.url, as Segment nests it.
                    String[] path = layout.contextPaths[i];
                    ObjectNode parent = context;
                    for (int p = 0; p < path.length - 1; p++) {
                        parent = parent.get(path[p]) instanceof ObjectNode existing ? existing : parent.putObject(path[p]);
                    }
                    parent.set(path[path.length - 1], JsonValues.of(value));
                }
            }
        }
        if (!context.has("library")) {
            context.putObject("library").put("name", LIBRARY);
        }
        return context;
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
