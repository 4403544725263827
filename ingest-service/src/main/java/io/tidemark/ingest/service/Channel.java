package io.tidemark.ingest.service;

import java.util.Locale;

/** The way events came in, as counted in the metrics. */
public enum Channel {
    /** The Segment HTTP Tracking API. */
    HTTP,
    /** Devices publishing to the MQTT broker. */
    MQTT,
    /** The bulk NDJSON import. */
    IMPORT;

    private final String tag = name().toLowerCase(Locale.ROOT);

    public String tag() {
        return tag;
    }
}
