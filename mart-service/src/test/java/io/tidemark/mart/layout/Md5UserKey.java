package io.tidemark.mart.layout;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The user key computed in Java from RFC 1321 MD5, to check the key the mart's SQL computes against. */
public final class Md5UserKey {

    private Md5UserKey() {
    }

    /** Bytes 8..15 of the MD5 read little-endian (DuckDB's md5_number_lower), shifted by 2^63 onto BIGINT. */
    public static long of(String user) throws NoSuchAlgorithmException {
        byte[] digest = MessageDigest.getInstance("MD5").digest(user.getBytes(StandardCharsets.UTF_8));
        return ByteBuffer.wrap(digest, 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong() ^ Long.MIN_VALUE;
    }
}
