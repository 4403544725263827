package io.tidemark.ingest.model;

/** A line of an import that was not accepted: its number (from 1), the field at fault and why. */
public record RejectedLine(long line, String field, String reason) {
}
