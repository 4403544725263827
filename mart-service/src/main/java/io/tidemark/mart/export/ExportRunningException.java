package io.tidemark.mart.export;

import java.time.Instant;

/** An export asked for while a cycle runs: the caller is told which one and when to ask again. */
public class ExportRunningException extends RuntimeException {

    private final Instant runningSince;

    public ExportRunningException(Instant runningSince) {
        super("an export cycle started at " + runningSince + " is running; ask again after it ends");
        this.runningSince = runningSince;
    }

    public Instant runningSince() {
        return runningSince;
    }
}
