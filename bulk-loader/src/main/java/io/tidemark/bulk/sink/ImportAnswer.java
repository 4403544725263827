package io.tidemark.bulk.sink;

import java.util.List;

/**
 * ingest's answer to one chunk: every accepted line is acknowledged by Kafka. {@code rejected} lists
 * the first refused lines (1-based within the chunk; ingest lists at most 100), {@code rejectedCount} all.
 */
public record ImportAnswer(long lines, long accepted, long rejectedCount, List<RejectedLine> rejected) {

    /** A line ingest refused, with the field and reason it gave. */
    public record RejectedLine(long line, String field, String reason) {
    }
}
