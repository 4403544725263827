package io.tidemark.ingest.rest;

import io.tidemark.ingest.config.IngestConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * Undoes {@code Content-Encoding: gzip} and enforces the 500 KB request limit on the decompressed
 * bytes, so a small gzip bomb is refused like a large body. Done here rather than by Vert.x so that a
 * corrupt stream or an oversized body gets a problem answer (400, 413) instead of a reset.
 */
@ApplicationScoped
public class RequestBodyDecoder {

    private static final int CHUNK = 16 * 1024;
    private final int maxBytes;

    public RequestBodyDecoder(IngestConfig config) {
        this.maxBytes = config.maxRequestBytes();
    }

    public byte[] decode(String contentEncoding, byte[] body) {
        byte[] decoded = gzipped(contentEncoding) ? gunzip(body) : body;
        if (decoded != null && decoded.length > maxBytes) {
            throw tooLarge();
        }
        return decoded;
    }

    /** Whether a body with this {@code Content-Encoding} is gzip; any encoding but gzip or none is a 415 problem. */
    static boolean gzipped(String contentEncoding) {
        String encoding = contentEncoding == null ? "identity" : contentEncoding.trim().toLowerCase(Locale.ROOT);
        return switch (encoding) {
            case "", "identity" -> false;
            case "gzip", "x-gzip" -> true;
            default -> throw new ProblemException(415, "unsupported-encoding", "Unsupported Content-Encoding",
                    "Content-Encoding " + contentEncoding + " is not supported; send gzip or no encoding",
                    "Content-Encoding");
        };
    }

    private byte[] gunzip(byte[] body) {
        if (body == null || body.length == 0) {
            return body;
        }
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body), CHUNK)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(maxBytes, body.length * 8) + 1);
            byte[] chunk = new byte[CHUNK];
            int read;
            while ((read = in.read(chunk)) > 0) {
                out.write(chunk, 0, read);
                if (out.size() > maxBytes) {
                    throw tooLarge();
                }
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new ProblemException(400, "malformed-body", "Malformed gzip body",
                    "the body is declared gzip but could not be decompressed: " + e.getMessage(), "body");
        }
    }

    private ProblemException tooLarge() {
        return new ProblemException(413, "request-too-large", "Request too large",
                "the request body is larger than " + maxBytes + " bytes (after decompression)", "body");
    }
}
