package io.tidemark.ingest.rest;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Fails a decompressed stream once it yields more than its limit: the wire limit of an import counts
 * what was received, and a gzip body of a few megabytes can expand to terabytes.
 */
final class DecompressedLimit extends FilterInputStream {

    private final long maxBytes;
    private long read;

    DecompressedLimit(InputStream decompressed, long maxBytes) {
        super(decompressed);
        this.maxBytes = maxBytes;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            count(1);
        }
        return b;
    }

    @Override
    public int read(byte[] target, int offset, int length) throws IOException {
        int n = super.read(target, offset, length);
        if (n > 0) {
            count(n);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = super.skip(n);
        count(skipped);
        return skipped;
    }

    private void count(long bytes) throws TooLargeException {
        read += bytes;
        if (read > maxBytes) {
            throw new TooLargeException(maxBytes);
        }
    }

    /** The body decompressed to more than the limit. */
    static final class TooLargeException extends IOException {
        TooLargeException(long maxBytes) {
            super("the import body decompresses to more than " + maxBytes + " bytes");
        }
    }
}
