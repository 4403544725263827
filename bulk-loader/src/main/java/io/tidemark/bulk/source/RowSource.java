package io.tidemark.bulk.source;

import java.time.Instant;

/** Where a job's rows come from: the rows of one window, streamed to a handler. */
public interface RowSource extends AutoCloseable {

    /** Receives each row in turn; returning false stops reading (a dry run needs only the first few). */
    @FunctionalInterface
    interface RowHandler {
        boolean accept(SourceRow row) throws Exception;
    }

    /** Hands on each row whose window column lies in [from, to); the number of rows read. */
    long read(Instant from, Instant to, RowHandler handler) throws Exception;
}
