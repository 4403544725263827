package io.tidemark.ingest.service;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tidemark.event.RawJsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A page's or screen's {@code category}, sent beside {@code name} at the top of the call (analytics-kotlin's
 * {@code screen(title, properties, category)}, analytics-next's {@code page(category, name)}), kept as
 * {@code properties.category}: the event has no column of its own for it, and dropping it lost what the app
 * said. analytics-next copies it there itself, over any {@code properties.category}, as Segment's own reading of a
 * page call does (its Facade's {@code properties()}): the category of the call wins.
 */
final class PageCategory {

    // Exact decimals: properties kept as bytes are stored as sent (1.50 stays 1.50, 1e400 a number), and these
    // are read into a tree only to set one field.
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    private PageCategory() {
    }

    /** {@code properties} with {@code category} set in them; null only when both are null. */
    static JsonNode intoProperties(JsonNode properties, String category) {
        if (category == null) {
            return properties;
        }
        RawJsonObject raw = RawJsonObject.of(properties);
        ObjectNode object;
        if (properties == null) {
            object = JsonNodeFactory.instance.objectNode();
        } else if (raw != null) {
            object = parsed(raw);
        } else {
            // A copy: the message's own node is what the dead-letter topic gets if a later field refuses it.
            object = ((ObjectNode) properties).deepCopy();
        }
        object.put("category", category);
        return object;
    }

    private static ObjectNode parsed(RawJsonObject raw) {
        try {
            return (ObjectNode) MAPPER.readTree(raw.asUnquotedUTF8());
        } catch (IOException e) {
            // The raw object was checked as it was read: it is one well-formed JSON object.
            throw new UncheckedIOException(e);
        }
    }
}
