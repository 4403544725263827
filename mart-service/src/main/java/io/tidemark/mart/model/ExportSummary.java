package io.tidemark.mart.model;

import java.time.Instant;
import java.util.List;

/**
 * What one export cycle did: the days it rewrote, the days that failed (retried next cycle), and the
 * sources another replica held the export lease of (that replica exports them).
 */
public record ExportSummary(Instant startedAt, Instant finishedAt, int sources, long rows, List<Day> exported,
        List<Failure> failed, List<String> leasedElsewhere) {

    /**
     * A rewritten day: its rows, files and bytes now; what was read again from Cassandra ("whole day",
     * or "hours 05-12, ..." when only the slices a late event touched were) and how many rows that was.
     */
    public record Day(String source, String date, long rows, int files, long bytes, String reread, long rowsRead) {
    }

    /** A day whose export failed; its old files stay in place. */
    public record Failure(String source, String date, String reason) {
    }
}
