package io.tidemark.bulk.mapping;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tidemark.event.Iso8601;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;

/** A source value as JSON of the same kind: numbers stay numbers, booleans booleans, times ISO-8601 strings. */
final class JsonValues {

    private static final JsonNodeFactory NODES = ExactJson.NODES;

    private JsonValues() {
    }

    /**
     * Writes the value as {@link #of} would make it, without the node: the common kinds directly.
     * {@code instantText}: room for a formatted instant ({@link Iso8601#MAX_FORMATTED}), reused by the caller.
     */
    static void write(Object value, byte[] instantText, JsonGenerator out) throws IOException {
        if (value == null) {
            out.writeNull();
        } else if (value instanceof String text) {
            out.writeString(text);
        } else if (value instanceof Long number) {
            out.writeNumber(number);
        } else if (value instanceof BigDecimal decimal) {
            out.writeNumber(decimal);
        } else if (value instanceof Boolean b) {
            out.writeBoolean(b);
        } else if (value instanceof Instant instant) {
            // Every row has two or more times: DateTimeFormatter was a seventh of the loader's CPU (JFR).
            Iso8601.write(instant, instantText, out);
        } else {
            out.writeTree(of(value));
        }
    }

    static JsonNode of(Object value) {
        if (value == null) {
            return NODES.nullNode();
        }
        if (value instanceof JsonNode node) {
            return node;
        }
        if (value instanceof Boolean b) {
            return NODES.booleanNode(b);
        }
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return NODES.numberNode(((Number) value).longValue());
        }
        if (value instanceof BigDecimal decimal) {
            return NODES.numberNode(decimal);
        }
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            // JSON has no NaN or infinity; the text keeps what the database said.
            return Double.isFinite(d) ? NODES.numberNode(d) : NODES.textNode(Double.toString(d));
        }
        if (value instanceof Instant instant) {
            return NODES.textNode(Iso8601.format(instant));
        }
        if (value instanceof Collection<?> list) {
            ArrayNode array = NODES.arrayNode();
            list.forEach(element -> array.add(of(element)));
            return array;
        }
        if (value instanceof Map<?, ?> map) {
            ObjectNode object = NODES.objectNode();
            map.forEach((k, v) -> object.set(String.valueOf(k), of(v)));
            return object;
        }
        // LocalDate, LocalTime, UUID, String: their toString is the ISO or canonical form.
        return NODES.textNode(value.toString());
    }
}
