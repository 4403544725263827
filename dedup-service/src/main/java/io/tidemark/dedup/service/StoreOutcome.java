package io.tidemark.dedup.service;

/** What storing one delivered copy of an event did. */
public enum StoreOutcome {
    /** The first copy: a new row, published to the clean topic. */
    STORED,
    /** A later copy of an event already stored: nothing written. */
    DUPLICATE,
    /**
     * The delivery that owns the claim, again (a crash or a rebalance came before its commit): the store
     * is redone at the claimed time.
     */
    COMPLETED
}
