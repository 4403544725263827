package io.tidemark.ingest.service.rejection;

/** A source sent more events than its rate limit allows; the client should retry after the given time. */
public class RateLimitExceededException extends RuntimeException {

    private final long retryAfterSeconds;

    public RateLimitExceededException(String source, long retryAfterSeconds) {
        super("source " + source + " exceeded its rate limit; retry after " + retryAfterSeconds + " s");
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
