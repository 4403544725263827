package io.tidemark.ingest.rest;

import io.tidemark.ingest.service.WriteKeyAuthenticatorTest;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RequestBodyDecoderTest {

    // The test configuration allows 500 KiB per request.
    private final RequestBodyDecoder decoder = new RequestBodyDecoder(
            WriteKeyAuthenticatorTest.config(Map.of("web", List.of("k"))));

    static byte[] gzip(byte[] plain) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(plain);
        }
        return out.toByteArray();
    }

    @Test
    void gzipBodiesAreDecompressed() throws IOException {
        byte[] plain = "{\"userId\":\"u\"}".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(plain, decoder.decode("gzip", gzip(plain)));
        assertArrayEquals(plain, decoder.decode(null, plain));
    }

    @Test
    void aCorruptGzipStreamIsABadRequest() {
        ProblemException problem = assertThrows(ProblemException.class,
                () -> decoder.decode("gzip", "not gzip at all".getBytes(StandardCharsets.UTF_8)));
        assertEquals(400, problem.problem().status());
        assertEquals("body", problem.problem().field());
    }

    @Test
    void aSmallGzipThatInflatesBeyondTheLimitIsTooLarge() throws IOException {
        byte[] bomb = gzip(new byte[600 * 1024]);
        assertEquals(413, assertThrows(ProblemException.class, () -> decoder.decode("gzip", bomb)).problem().status());
    }

    @Test
    void anUnknownEncodingIsRefused() {
        assertEquals(415, assertThrows(ProblemException.class,
                () -> decoder.decode("br", new byte[]{1})).problem().status());
    }
}
