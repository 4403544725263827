package io.tidemark.ingest.service;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tidemark.event.RawJsonObject;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads one event from a token stream into the tree {@link SegmentEventParser} judges, except that
 * {@code properties}, {@code traits} and {@code context}, which ingest passes on (of the context it reads
 * only the client library), stay the bytes they arrived in ({@link RawJsonObject}). Those parts were most
 * of an event's tree, built only to be written out again.
 *
 * <p>The token stream still checks every byte of them as JSON. Where bytes and a tree could differ,
 * the part is read into a tree after all and judged as before: text that is not well-formed UTF-8 or
 * escapes a surrogate (a tree refuses an unpaired one), objects that repeat a name (a tree keeps the
 * last), and a context whose library is not an object of strings. So the answer to a request, and what
 * dedup stores, is the same either way.
 */
final class EventObjectReader {

    private static final Set<String> PASSED_ON_UNREAD = Set.of("properties", "traits");
    private static final String CONTEXT = "context";
    private static final VarHandle WORDS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final ObjectMapper mapper;
    private final JsonNodeFactory nodes;

    EventObjectReader(ObjectMapper mapper) {
        this.mapper = mapper;
        this.nodes = mapper.getNodeFactory();
    }

    /** The value starting at the parser's current token, which is read past; {@code body} is what it parses. */
    JsonNode read(JsonParser parser, byte[] body) throws IOException {
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            return mapper.readTree(parser);
        }
        ObjectNode message = nodes.objectNode();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken token = parser.nextToken();
            JsonNode value;
            if (token != JsonToken.START_OBJECT) {
                value = value(parser, token);
            } else if (PASSED_ON_UNREAD.contains(field)) {
                value = unread(parser, body, false);
            } else if (field.equals(CONTEXT)) {
                value = unread(parser, body, true);
            } else {
                value = mapper.readTree(parser);
            }
            message.set(field, value);
        }
        return message;
    }

    /**
     * The object starting at the current token, as bytes where they are safe to pass on; for a context,
     * with its library. A parser without byte offsets (Jackson's reading of UTF-16 or UTF-32, which
     * TrackingRequestReader refuses before any event is read) gets a tree.
     */
    private JsonNode unread(JsonParser parser, byte[] body, boolean isContext) throws IOException {
        long start = parser.currentTokenLocation().getByteOffset();
        if (start < 0 || start >= body.length || body[(int) start] != '{') {
            return mapper.readTree(parser);
        }
        int from = (int) start;
        Skipped skipped = skipObject(parser, isContext);
        int to = (int) parser.currentLocation().getByteOffset();
        if (skipped.needsTree || !isStorableText(body, from, to)) {
            return mapper.readTree(body, from, to - from);
        }
        return isContext
                ? new RawContext(RawJsonObject.value(body, from, to - from),
                        ClientLibrary.of(skipped.libraryName, skipped.libraryVersion))
                : RawJsonObject.node(body, from, to - from);
    }

    /** What reading past an object found. */
    private static final class Skipped {
        /** A name repeated within an object, or a context library that only a tree judges as before. */
        boolean needsTree;
        String libraryName;
        String libraryVersion;
    }

    /**
     * Reads past the object whose start is the current token, checking it as JSON. It tells whether any
     * object in it repeats a name: a tree keeps the last of such names; bytes would keep both, and not
     * every reader of the topic takes the last. For a context it also takes {@code library.name} and
     * {@code library.version} when they are strings; a library of another shape needs the tree.
     */
    private static Skipped skipObject(JsonParser parser, boolean isContext) throws IOException {
        Skipped skipped = new Skipped();
        // Names are few per object, and the parser hands out each name as one canonical String.
        List<List<String>> names = new ArrayList<>();
        names.add(new ArrayList<>());
        boolean inLibrary = false;
        // The name whose value the next token is, when that value is the library or one of its two texts.
        String libraryField = null;
        while (!names.isEmpty()) {
            JsonToken token = parser.nextToken();
            String valueOf = libraryField;
            libraryField = null;
            switch (token) {
                case FIELD_NAME -> {
                    List<String> seen = names.get(names.size() - 1);
                    String name = parser.currentName();
                    skipped.needsTree |= seen.contains(name);
                    seen.add(name);
                    if (isContext && names.size() == 1 && name.equals("library")
                            || inLibrary && names.size() == 2 && (name.equals("name") || name.equals("version"))) {
                        libraryField = name;
                    }
                }
                case START_OBJECT -> {
                    names.add(new ArrayList<>());
                    inLibrary |= "library".equals(valueOf);
                    skipped.needsTree |= valueOf != null && !"library".equals(valueOf);
                }
                case END_OBJECT -> {
                    names.remove(names.size() - 1);
                    inLibrary &= names.size() > 1;
                }
                case VALUE_STRING -> {
                    if ("name".equals(valueOf)) {
                        skipped.libraryName = parser.getText();
                    } else if ("version".equals(valueOf)) {
                        skipped.libraryVersion = parser.getText();
                    } else {
                        skipped.needsTree |= valueOf != null;
                    }
                }
                default -> {
                    // A scalar is checked as JSON when the parser moves past it, without building it; arrays
                    // hold no names, and the objects in them are tracked as above.
                    skipped.needsTree |= valueOf != null;
                }
            }
        }
        return skipped;
    }

    /** As Jackson's tree reader makes it; nested values go through it whole. */
    private JsonNode value(JsonParser parser, JsonToken token) throws IOException {
        return switch (token) {
            case VALUE_STRING -> nodes.textNode(parser.getText());
            case VALUE_TRUE -> nodes.booleanNode(true);
            case VALUE_FALSE -> nodes.booleanNode(false);
            case VALUE_NULL -> nodes.nullNode();
            case VALUE_NUMBER_INT -> switch (parser.getNumberType()) {
                case INT -> nodes.numberNode(parser.getIntValue());
                case LONG -> nodes.numberNode(parser.getLongValue());
                default -> nodes.numberNode(parser.getBigIntegerValue());
            };
            default -> mapper.readTree(parser);
        };
    }

    /**
     * Whether the JSON text in {@code body[from, to)} is well-formed UTF-8 (RFC 3629: no overlong form,
     * no surrogate, nothing past U+10FFFF) and has no escape of a surrogate. Jackson decodes some
     * ill-formed bytes leniently, and an escaped surrogate may be unpaired: a tree judges such text as
     * before. Paired escapes (an emoji written as two) land there too, and the tree tells them apart.
     */
    static boolean isStorableText(byte[] body, int from, int to) {
        int i = from;
        while (i < to) {
            if (i + Long.BYTES <= to && isPlainAscii((long) WORDS.get(body, i))) {
                // Most of a part is ASCII without escapes: eight bytes at a time.
                i += Long.BYTES;
                continue;
            }
            int b = body[i] & 0xFF;
            if (b < 0x80) {
                if (b == '\\') {
                    if (i + 3 < to && body[i + 1] == 'u' && (body[i + 2] | 0x20) == 'd' && isSurrogateSecondDigit(body[i + 3])) {
                        return false;
                    }
                    i++; // the escaped character, which may itself be a backslash
                }
                i++;
                continue;
            }
            int length;
            int lowest = 0x80;
            int highest = 0xBF;
            if (b >= 0xC2 && b <= 0xDF) {
                length = 2;
            } else if (b >= 0xE0 && b <= 0xEF) {
                length = 3;
                lowest = b == 0xE0 ? 0xA0 : 0x80;
                highest = b == 0xED ? 0x9F : 0xBF;
            } else if (b >= 0xF0 && b <= 0xF4) {
                length = 4;
                lowest = b == 0xF0 ? 0x90 : 0x80;
                highest = b == 0xF4 ? 0x8F : 0xBF;
            } else {
                return false;
            }
            if (i + length > to) {
                return false;
            }
            int second = body[i + 1] & 0xFF;
            if (second < lowest || second > highest) {
                return false;
            }
            for (int k = 2; k < length; k++) {
                if ((body[i + k] & 0xC0) != 0x80) {
                    return false;
                }
            }
            i += length;
        }
        return true;
    }

    /** Whether eight bytes are all ASCII and none is a backslash (a zero byte of the word xor backslashes). */
    private static boolean isPlainAscii(long word) {
        long backslashesZeroed = word ^ 0x5C5C5C5C5C5C5C5CL;
        long hasZeroByte = (backslashesZeroed - 0x0101010101010101L) & ~backslashesZeroed & 0x8080808080808080L;
        return (word & 0x8080808080808080L) == 0 && hasZeroByte == 0;
    }

    private static boolean isSurrogateSecondDigit(byte digit) {
        return digit == '8' || digit == '9' || ((digit | 0x20) >= 'a' && (digit | 0x20) <= 'f');
    }
}
