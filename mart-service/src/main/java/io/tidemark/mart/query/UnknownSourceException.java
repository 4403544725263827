package io.tidemark.mart.query;

/** A query for a source that has no events at all. */
public class UnknownSourceException extends InvalidParameterException {

    public UnknownSourceException(String source) {
        super("source", "no events were ever stored for source '" + source + "'");
    }
}
