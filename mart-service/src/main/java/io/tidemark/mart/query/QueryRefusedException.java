package io.tidemark.mart.query;

/** A query not answered because the service is saturated (queue full) or it ran out of time: 503, ask again later. */
public class QueryRefusedException extends RuntimeException {

    public QueryRefusedException(String reason) {
        super(reason);
    }
}
