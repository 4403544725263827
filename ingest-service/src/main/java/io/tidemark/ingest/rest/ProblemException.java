package io.tidemark.ingest.rest;

import io.tidemark.ingest.model.Problem;

/** A request that must be answered with a problem body instead of a result. */
public class ProblemException extends RuntimeException {

    private final Problem problem;
    private final Integer retryAfterSeconds;

    public ProblemException(int status, String kind, String title, String detail, String field) {
        this(status, kind, title, detail, field, null);
    }

    public ProblemException(int status, String kind, String title, String detail, String field,
            Integer retryAfterSeconds) {
        super(detail);
        this.problem = new Problem("urn:tidemark:problem:" + kind, title, status, detail, field);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public Problem problem() {
        return problem;
    }

    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
