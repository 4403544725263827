package io.tidemark.dedup.service;

/** What storing one delivered copy of an event did. */
public enum StoreOutcome {
    /** The first copy: a new row, published to the clean topic. */
    STORED,
    /** A later copy of an event already stored: nothing written. */
    DUPLICATE,
    /** A copy of an event whose earlier delivery claimed it but crashed before finishing: the rest is done now. */
    COMPLETED
}
