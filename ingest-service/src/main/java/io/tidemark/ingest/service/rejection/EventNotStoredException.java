package io.tidemark.ingest.service.rejection;

/** Kafka did not acknowledge an event in time; the client must retry, nothing was promised. */
public class EventNotStoredException extends RuntimeException {

    public EventNotStoredException(Throwable cause) {
        super("the event could not be stored durably; retry later", cause);
    }

    /** Nothing was sent: the client is told which budget is full. */
    public EventNotStoredException(ProducerSaturatedException cause) {
        super(cause.getMessage(), cause);
    }
}
