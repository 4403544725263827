package io.tidemark.ingest.service.rejection;

/** A call without a write key that names a configured source. */
public class UnknownWriteKeyException extends RuntimeException {

    public UnknownWriteKeyException() {
        super("a valid write key is required as the HTTP Basic user name or as writeKey in the body");
    }
}
