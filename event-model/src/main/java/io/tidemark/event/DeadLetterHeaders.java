package io.tidemark.event;

/**
 * Header names on {@code tidemark.events.dead-letter}: ingest and dedup both park records there, and
 * an operator replaying them reads the same headers whichever service refused the record.
 */
public final class DeadLetterHeaders {

    /** Why the record was refused, in words. */
    public static final String REASON = "tidemark-reason";
    /** The service that refused it, and for dedup the raw topic, partition and offset it came from. */
    public static final String ORIGIN = "tidemark-origin";
    /** The source (write key's name) the record was sent for, where ingest knows it. */
    public static final String SOURCE = "tidemark-source";
    /** The field that was wrong, where one was. */
    public static final String FIELD = "tidemark-field";

    private DeadLetterHeaders() {
    }
}
