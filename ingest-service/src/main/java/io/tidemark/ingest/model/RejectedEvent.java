package io.tidemark.ingest.model;

/** An event of a batch that was not accepted: its position in {@code batch}, the field at fault and why. */
public record RejectedEvent(int index, String field, String reason) {
}
