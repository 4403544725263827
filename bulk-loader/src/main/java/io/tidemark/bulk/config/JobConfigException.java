package io.tidemark.bulk.config;

/** A mapping file that cannot be used, naming the field and why. */
public class JobConfigException extends RuntimeException {

    public JobConfigException(String message) {
        super(message);
    }

    public JobConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
