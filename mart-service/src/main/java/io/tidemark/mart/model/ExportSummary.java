package io.tidemark.mart.model;

import java.time.Instant;
import java.util.List;

/**
 * What one export cycle did: the days it rewrote, the days that failed (retried next cycle), and the
 * sources another replica held the export lease of (that replica exports them).
 */
public record ExportSummary(Instant startedAt, Instant finishedAt, int sources, long rows, List<Day> exported,
        List<Failure> failed, List<String> leasedElsewhere) {

    /** A rewritten day. */
    public record Day(String source, String date, long rows, int files, long bytes) {
    }

    /** A day whose export failed; its old files stay in place. */
    public record Failure(String source, String date, String reason) {
    }
}
