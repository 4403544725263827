package io.tidemark.ingest.service;

import com.fasterxml.jackson.databind.JsonNode;

/** The SDK that sent an event, from its {@code context.library}; {@code unknown} where it says none. */
public record ClientLibrary(String name, String version) {

    public static final String UNKNOWN = "unknown";
    // Tags are bounded in length as well as in number (IngestMetrics): a client chooses these strings.
    private static final int MAX_NAME = 64;
    private static final int MAX_VERSION = 32;

    /** The library of a message (or of a batch's context, which a message's own fills up). */
    public static ClientLibrary of(JsonNode context) {
        if (context instanceof RawContext raw) {
            return raw.library();
        }
        JsonNode library = context != null && context.isObject() ? context.get("library") : null;
        if (library == null || !library.isObject()) {
            return new ClientLibrary(UNKNOWN, UNKNOWN);
        }
        return new ClientLibrary(text(library.get("name"), MAX_NAME), text(library.get("version"), MAX_VERSION));
    }

    /** As {@link #of(JsonNode)} for a {@code library} object whose name and version are strings or absent. */
    static ClientLibrary of(String name, String version) {
        return new ClientLibrary(text(name, MAX_NAME), text(version, MAX_VERSION));
    }

    private static String text(JsonNode node, int maxLength) {
        return node == null || !node.isValueNode() ? UNKNOWN : text(node.asText(), maxLength);
    }

    private static String text(String text, int maxLength) {
        if (text == null || text.isBlank()) {
            return UNKNOWN;
        }
        return text.length() > maxLength ? text.substring(0, maxLength) : text;
    }
}
