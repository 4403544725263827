package io.tidemark.bulk.mapping;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.UUID;

/**
 * The messageId of a row: a name-based UUID over job, table, primary key and version. The same row
 * (in the same version) always gets the same id, so a window loaded twice, or two windows that
 * overlap, send copies that dedup-service drops.
 */
public final class MessageIds {

    /** Separates the parts, so ("a", "bc") and ("ab", "c") never name the same row. */
    private static final char SEPARATOR = '\u001f';
    private static final byte[] SEPARATOR_BYTES = {(byte) SEPARATOR};
    private static final byte[] VERSION_MARK = (SEPARATOR + "v=").getBytes(StandardCharsets.UTF_8);

    /** The name's fixed start, encoded once. */
    private final byte[] prefix;
    /**
     * Reused for every row of the job: {@link UUID#nameUUIDFromBytes} looks the algorithm up through the
     * security providers on every call (the ids were 9% of the loader's samples, bench/run bulk, JFR).
     */
    private final MessageDigest md5;

    /** The ids of one job's rows of one table; not thread-safe (the cursor's thread maps every row). */
    public MessageIds(String job, String table) {
        this.prefix = ("tidemark-bulk" + SEPARATOR + job + SEPARATOR + table).getBytes(StandardCharsets.UTF_8);
        try {
            this.md5 = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is part of every JDK", e);
        }
    }

    public static String of(String job, String table, List<String> key, String version) {
        return new MessageIds(job, table).of(key.toArray(String[]::new), version);
    }

    /** Exactly {@code UUID.nameUUIDFromBytes} of the name's UTF-8 bytes, which are the parts' bytes in turn. */
    String of(String[] key, String version) {
        md5.update(prefix);
        for (String part : key) {
            md5.update(SEPARATOR_BYTES);
            md5.update(part.getBytes(StandardCharsets.UTF_8));
        }
        if (version != null) {
            md5.update(VERSION_MARK);
            md5.update(version.getBytes(StandardCharsets.UTF_8));
        }
        byte[] hash = md5.digest();
        hash[6] = (byte) ((hash[6] & 0x0f) | 0x30); // version 3: name-based, MD5
        hash[8] = (byte) ((hash[8] & 0x3f) | 0x80); // the IETF variant
        long most = 0;
        long least = 0;
        for (int i = 0; i < 8; i++) {
            most = (most << 8) | (hash[i] & 0xff);
            least = (least << 8) | (hash[i + 8] & 0xff);
        }
        return new UUID(most, least).toString();
    }
}
