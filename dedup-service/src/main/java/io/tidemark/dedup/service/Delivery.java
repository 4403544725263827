package io.tidemark.dedup.service;

import io.tidemark.dedup.repository.MessageLedger;
import io.tidemark.event.CollectedEvent;

/**
 * One delivered copy of an event: the decoded event, its raw record value (republished as is to the
 * clean topic) and where it sits in the raw topic, which is what owns a claim. Its Kafka key and the
 * key's hash are worked out once here: a batch needs them for the in-flight set, the ledger lookup, the
 * claim, the row's bucket and the recently-stored cache.
 */
public final class Delivery {

    private final CollectedEvent event;
    private final byte[] wireForm;
    private final int partition;
    private final long offset;
    private final String key;
    private final int keyHash;

    public Delivery(CollectedEvent event, byte[] wireForm, int partition, long offset) {
        this.event = event;
        this.wireForm = wireForm;
        this.partition = partition;
        this.offset = offset;
        this.key = event.kafkaKey();
        this.keyHash = MessageLedger.keyHash(key);
    }

    public CollectedEvent event() {
        return event;
    }

    public byte[] wireForm() {
        return wireForm;
    }

    public int partition() {
        return partition;
    }

    public long offset() {
        return offset;
    }

    /** The event's Kafka key, {@link CollectedEvent#kafkaKey()}. */
    public String key() {
        return key;
    }

    /** {@link MessageLedger#keyHash} of the key. */
    public int keyHash() {
        return keyHash;
    }
}
