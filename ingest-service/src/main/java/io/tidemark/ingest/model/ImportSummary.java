package io.tidemark.ingest.model;

import java.util.List;

/**
 * The answer to a finished import: every accepted line is acknowledged by Kafka. {@code rejected}
 * lists the first refused lines (they went to the dead-letter topic); {@code rejectedCount} counts all.
 */
public record ImportSummary(boolean success, long lines, long accepted, long rejectedCount, List<RejectedLine> rejected) {
}
