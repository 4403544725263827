package io.tidemark.local;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** One process of the stack: how to start it, how to recognise it by PID, how to tell it is ready. */
interface StackPart {

    /** The name used for its PID file and log: kafka, cassandra, ingest-service, ... */
    String name();

    String host();

    /** The port its readiness probe uses. */
    int port();

    default String address() {
        return host() + ":" + port();
    }

    /** Arguments that the command line of this part's process must contain (see ProcessIdentity). */
    List<String> markers();

    /** Prepares config and data, then starts the process detached; returns the started process. */
    ProcessHandle start();

    /** One readiness probe, bounded by the configured probe timeout. */
    boolean answers();

    /** One readiness probe given {@code timeout}: a part started on a loaded machine answers slowly at first. */
    boolean answers(Duration timeout);

    /**
     * The probes of one readiness wait, none longer than {@code longestProbe}; by default each is a
     * separate {@link #answers(Duration)}.
     */
    default Probe readinessProbe(Duration longestProbe) {
        return this::answers;
    }

    Duration readyTimeout();

    Path log();

    PidFile pidFile();
}
