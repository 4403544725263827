package io.tidemark.ingest.service;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Splits a byte stream into lines ({@code \n}, an optional {@code \r} before it is dropped) without
 * decoding it: each line's size is known exactly, and a line longer than the limit is skipped as it
 * streams by instead of being held in memory.
 */
final class LineReader {

    /** One line; {@code bytes} is null when the line was longer than the limit ({@code length} says how long). */
    record Line(byte[] bytes, long length) {
        boolean tooLong() {
            return bytes == null;
        }
    }

    private final InputStream in;
    private final int maxLineBytes;
    private final byte[] buffer = new byte[64 * 1024];
    private int position;
    private int limit;

    LineReader(InputStream in, int maxLineBytes) {
        this.in = in;
        this.maxLineBytes = maxLineBytes;
    }

    /** The next line, or null at the end of the stream. */
    Line next() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(256);
        long length = 0;
        boolean sawAnything = false;
        while (true) {
            if (position == limit) {
                limit = in.read(buffer);
                position = 0;
                if (limit <= 0) {
                    limit = 0;
                    return sawAnything ? finish(line, length) : null;
                }
            }
            sawAnything = true;
            int start = position;
            while (position < limit && buffer[position] != '\n') {
                position++;
            }
            int count = position - start;
            if (length + count <= maxLineBytes + 1L) {
                line.write(buffer, start, count);
            }
            length += count;
            if (position < limit) {
                position++;
                return finish(line, length);
            }
        }
    }

    private Line finish(ByteArrayOutputStream line, long length) {
        byte[] bytes = line.toByteArray();
        if (bytes.length > 0 && bytes[bytes.length - 1] == '\r' && length <= maxLineBytes + 1L) {
            byte[] trimmed = new byte[bytes.length - 1];
            System.arraycopy(bytes, 0, trimmed, 0, trimmed.length);
            bytes = trimmed;
            length--;
        }
        return length > maxLineBytes ? new Line(null, length) : new Line(bytes, length);
    }
}
