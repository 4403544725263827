package io.tidemark.event;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.JsonNodeDeserializer;
import com.fasterxml.jackson.databind.node.NullNode;

import java.io.IOException;

/**
 * Reads a JSON object of a record as a {@link RawJsonObject} over the record's own bytes instead of
 * building a tree: for a reader that stores or forwards the object without looking inside. The parser
 * still goes through every token, so the record is checked as before; an object whose text has an
 * escaped or encoded UTF-16 surrogate is built as a tree, exactly as the tree reader builds it, so that
 * the lone-surrogate check and the text stored stay what they were for it. Anything but an object is
 * read as a tree too. The record's bytes come as the {@link #RECORD} attribute of the read.
 */
final class RawObjectDeserializer extends JsonDeserializer<JsonNode> {

    /** The key of the read's attribute holding the record's bytes. */
    static final Object RECORD = RawObjectDeserializer.class;

    private static final ObjectMapper TREES = new ObjectMapper();
    @SuppressWarnings("unchecked")
    private static final JsonDeserializer<JsonNode> TREE =
            (JsonDeserializer<JsonNode>) (JsonDeserializer<?>) JsonNodeDeserializer.getDeserializer(JsonNode.class);

    @Override
    public JsonNode deserialize(JsonParser parser, DeserializationContext context) throws IOException {
        Object record = context.getAttribute(RECORD);
        if (!(record instanceof byte[] bytes) || parser.currentToken() != JsonToken.START_OBJECT) {
            return TREE.deserialize(parser, context);
        }
        long start = parser.currentTokenLocation().getByteOffset();
        parser.skipChildren();
        long end = parser.currentLocation().getByteOffset();
        if (start < 0 || end > bytes.length || end - start < 2 || bytes[(int) start] != '{' || bytes[(int) end - 1] != '}') {
            throw new JsonParseException(parser, "the parser's offsets do not frame an object: " + start + " to " + end);
        }
        int offset = (int) start;
        int length = (int) (end - start);
        return mayHoldSurrogates(bytes, offset, offset + length) ? TREES.readTree(bytes, offset, length)
                : RawJsonObject.node(bytes, offset, length);
    }

    @Override
    public JsonNode getNullValue(DeserializationContext context) {
        // As the tree reader: an explicit null is a null node, an absent field null.
        return NullNode.getInstance();
    }

    @Override
    public JsonNode getAbsentValue(DeserializationContext context) {
        return null;
    }

    /**
     * Whether the text may hold a UTF-16 surrogate: an escape {@code \}{@code uD800} to {@code \}{@code uDFFF}
     * (a pair of them is an emoji, one alone cannot be stored), or one encoded in UTF-8 bytes
     * ({@code ED A0..BF}), which valid UTF-8 never has. May say yes where there is none; never no where
     * there is one.
     */
    static boolean mayHoldSurrogates(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = bytes[i];
            if (b == '\\') {
                if (i + 2 < to && bytes[i + 1] == 'u' && (bytes[i + 2] == 'd' || bytes[i + 2] == 'D')) {
                    return true;
                }
                i++;
            } else if (b == (byte) 0xED && i + 1 < to && (bytes[i + 1] & 0xFF) >= 0xA0) {
                return true;
            }
        }
        return false;
    }
}
