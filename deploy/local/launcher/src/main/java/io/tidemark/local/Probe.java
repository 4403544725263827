package io.tidemark.local;

import java.time.Duration;

/** The readiness probes of one part during one wait: a part may keep a client open across them. */
interface Probe extends AutoCloseable {

    /** One probe, given {@code timeout}. */
    boolean answers(Duration timeout);

    /** Releases what the probes kept open; nothing by default. */
    @Override
    default void close() {
    }
}
