package io.tidemark.bulk.mapping;

import java.nio.charset.StandardCharsets;
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

    private MessageIds() {
    }

    public static String of(String job, String table, List<String> key, String version) {
        StringBuilder name = new StringBuilder("tidemark-bulk").append(SEPARATOR).append(job).append(SEPARATOR).append(table);
        for (String part : key) {
            name.append(SEPARATOR).append(part);
        }
        if (version != null) {
            name.append(SEPARATOR).append("v=").append(version);
        }
        return UUID.nameUUIDFromBytes(name.toString().getBytes(StandardCharsets.UTF_8)).toString();
    }
}
