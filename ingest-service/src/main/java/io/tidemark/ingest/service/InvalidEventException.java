package io.tidemark.ingest.service;

/** An event that breaks the Tracking API's rules; names the field and the reason. */
public class InvalidEventException extends RuntimeException {

    private final String field;

    public InvalidEventException(String field, String reason) {
        super(field + ": " + reason);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
