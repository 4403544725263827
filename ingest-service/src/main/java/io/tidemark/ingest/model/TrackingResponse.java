package io.tidemark.ingest.model;

/** The body Segment's API answers an accepted call with. */
public record TrackingResponse(boolean success) {

    public static final TrackingResponse OK = new TrackingResponse(true);
}
