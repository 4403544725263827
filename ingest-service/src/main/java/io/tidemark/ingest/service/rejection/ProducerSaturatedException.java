package io.tidemark.ingest.service.rejection;

/** Too many events or bytes wait for Kafka's acknowledgement; the client must retry later, nothing was accepted. */
public class ProducerSaturatedException extends RuntimeException {

    /** {@code limit} names the budget that is full, e.g. "50000 events". */
    public ProducerSaturatedException(String limit) {
        super("more than " + limit + " wait for Kafka; retry later");
    }
}
