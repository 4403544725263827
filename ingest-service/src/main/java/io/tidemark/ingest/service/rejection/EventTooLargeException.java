package io.tidemark.ingest.service.rejection;

/** An event above Segment's size limit (32 KB per event), or a batch that would grow past its own. */
public class EventTooLargeException extends InvalidEventException {

    public EventTooLargeException(String field, int limitBytes) {
        super(field, "the event is larger than " + limitBytes + " bytes");
    }

    public EventTooLargeException(String field, String reason) {
        super(field, reason);
    }
}
