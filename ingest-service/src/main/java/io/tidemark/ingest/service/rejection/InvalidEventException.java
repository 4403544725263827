package io.tidemark.ingest.service.rejection;

/** An event that breaks the Tracking API's rules; names the field and the reason. */
public class InvalidEventException extends RuntimeException {

    private final String field;
    private final String reason;

    public InvalidEventException(String field, String reason) {
        super(field + ": " + reason);
        this.field = field;
        this.reason = reason;
    }

    public String field() {
        return field;
    }

    public String reason() {
        return reason;
    }
}
