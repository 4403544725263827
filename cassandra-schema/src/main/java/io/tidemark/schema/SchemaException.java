package io.tidemark.schema;

/** A migration could not be applied; the message names the owner, the script and the statement. */
public final class SchemaException extends RuntimeException {

    public SchemaException(String message, Throwable cause) {
        super(message, cause);
    }
}
