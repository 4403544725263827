package io.tidemark.event;

/** The Kafka record key of an event: source and messageId, so all copies share a partition. */
public final class EventKey {

    private static final char SEPARATOR = ':';

    private EventKey() {
    }

    /** Source ids never contain the separator (see {@link SourceId}), so the key is unambiguous. */
    public static String of(String source, String messageId) {
        return source + SEPARATOR + messageId;
    }
}
