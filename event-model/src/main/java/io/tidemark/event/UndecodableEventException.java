package io.tidemark.event;

/** A record value that is not a valid Tidemark event; it belongs on the dead-letter topic. */
public class UndecodableEventException extends RuntimeException {

    public UndecodableEventException(String reason) {
        super(reason);
    }
}
