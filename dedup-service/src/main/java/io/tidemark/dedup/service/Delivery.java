package io.tidemark.dedup.service;

import io.tidemark.event.CollectedEvent;

/**
 * One delivered copy of an event: the decoded event, its raw record value (republished as is to the
 * clean topic) and where it sits in the raw topic, which is what owns a claim.
 */
public record Delivery(CollectedEvent event, byte[] wireForm, int partition, long offset) {
}
