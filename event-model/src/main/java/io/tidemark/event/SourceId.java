package io.tidemark.event;

import java.util.regex.Pattern;

/** The rules for a source id: it appears in Kafka keys, Cassandra partitions and file paths. */
public final class SourceId {

    private static final Pattern VALID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");

    private SourceId() {
    }

    public static boolean isValid(String source) {
        return source != null && VALID.matcher(source).matches();
    }
}
