package io.tidemark.ingest.service.rejection;

/** A body that is not the JSON the endpoint expects (unreadable JSON, or no batch array). */
public class MalformedRequestException extends RuntimeException {

    private final String field;

    public MalformedRequestException(String field, String reason) {
        super(reason);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
