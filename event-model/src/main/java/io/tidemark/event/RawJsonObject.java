package io.tidemark.event;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.util.RawValue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A JSON object kept as the UTF-8 bytes it arrived in, for a free-form part (properties, traits, and the
 * context, of which ingest reads only the library) that ingest checks but passes on: building it into a
 * tree and writing the tree out again was a fifth of ingest's CPU (issue #20). Whoever makes one vouches
 * that the bytes are one well-formed JSON object with no text a UTF-8 store refuses. It is written out as it is, by {@link EventCodec} and by any
 * Jackson generator ({@link RawValue}).
 */
public final class RawJsonObject implements SerializableString {

    private final byte[] source;
    private final int offset;
    private final int length;

    private RawJsonObject(byte[] source, int offset, int length) {
        this.source = source;
        this.offset = offset;
        this.length = length;
    }

    /**
     * A tree node holding {@code source[offset, offset + length)}, which the caller has checked. The
     * bytes are shared, not copied: the node lives as long as the request it came from.
     */
    public static JsonNode node(byte[] source, int offset, int length) {
        return new POJONode(value(source, offset, length));
    }

    /** As {@link #node}, for a node type of the caller's that carries more of what it read. */
    public static RawValue value(byte[] source, int offset, int length) {
        return new RawValue(new RawJsonObject(source, offset, length));
    }

    /** The raw object a node holds, or null when it is an ordinary tree node. */
    public static RawJsonObject of(JsonNode node) {
        return node instanceof POJONode pojo && pojo.getPojo() instanceof RawValue raw
                && raw.rawValue() instanceof RawJsonObject object ? object : null;
    }

    /** The object's UTF-8 bytes, shared, not copied, and read-only. */
    public ByteBuffer utf8() {
        return ByteBuffer.wrap(source, offset, length).slice().asReadOnlyBuffer();
    }

    @Override
    public String getValue() {
        return new String(source, offset, length, StandardCharsets.UTF_8);
    }

    @Override
    public int charLength() {
        return getValue().length();
    }

    @Override
    public char[] asQuotedChars() {
        return JsonStringEncoder.getInstance().quoteAsString(getValue());
    }

    @Override
    public byte[] asUnquotedUTF8() {
        return Arrays.copyOfRange(source, offset, offset + length);
    }

    @Override
    public byte[] asQuotedUTF8() {
        return JsonStringEncoder.getInstance().quoteAsUTF8(getValue());
    }

    @Override
    public int appendQuotedUTF8(byte[] buffer, int offset) {
        return append(asQuotedUTF8(), buffer, offset);
    }

    @Override
    public int appendQuoted(char[] buffer, int offset) {
        return append(asQuotedChars(), buffer, offset);
    }

    @Override
    public int appendUnquotedUTF8(byte[] buffer, int at) {
        if (at + length > buffer.length) {
            return -1;
        }
        System.arraycopy(source, offset, buffer, at, length);
        return length;
    }

    @Override
    public int appendUnquoted(char[] buffer, int offset) {
        return append(getValue().toCharArray(), buffer, offset);
    }

    @Override
    public int writeQuotedUTF8(OutputStream out) throws IOException {
        byte[] quoted = asQuotedUTF8();
        out.write(quoted);
        return quoted.length;
    }

    @Override
    public int writeUnquotedUTF8(OutputStream out) throws IOException {
        out.write(source, offset, length);
        return length;
    }

    @Override
    public int putQuotedUTF8(ByteBuffer buffer) {
        return put(asQuotedUTF8(), buffer);
    }

    @Override
    public int putUnquotedUTF8(ByteBuffer buffer) {
        if (buffer.remaining() < length) {
            return -1;
        }
        buffer.put(source, offset, length);
        return length;
    }

    @Override
    public String toString() {
        return getValue();
    }

    private static int append(byte[] value, byte[] buffer, int offset) {
        if (offset + value.length > buffer.length) {
            return -1;
        }
        System.arraycopy(value, 0, buffer, offset, value.length);
        return value.length;
    }

    private static int append(char[] value, char[] buffer, int offset) {
        if (offset + value.length > buffer.length) {
            return -1;
        }
        System.arraycopy(value, 0, buffer, offset, value.length);
        return value.length;
    }

    private static int put(byte[] value, ByteBuffer buffer) {
        if (buffer.remaining() < value.length) {
            return -1;
        }
        buffer.put(value);
        return value.length;
    }
}
