package io.tidemark.bulk.sink;

/** ingest did not take a chunk after every attempt, or refused it whole: the window is not loaded. */
public class IngestUnavailableException extends Exception {

    public IngestUnavailableException(String message) {
        super(message);
    }

    public IngestUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
