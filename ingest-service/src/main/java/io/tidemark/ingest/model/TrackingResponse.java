package io.tidemark.ingest.model;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/**
 * The body Segment's API answers an accepted call with; a batch with refused events also lists them
 * (they went to the dead-letter topic, every other event was accepted).
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record TrackingResponse(boolean success, List<RejectedEvent> rejected) {

    public static final TrackingResponse OK = new TrackingResponse(true, List.of());
}
