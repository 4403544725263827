package io.tidemark.ingest.service;

/** Too many events wait for Kafka's acknowledgement; the client must retry later, nothing was accepted. */
public class ProducerSaturatedException extends RuntimeException {

    public ProducerSaturatedException(long max) {
        super("more than " + max + " events wait for Kafka; retry later");
    }
}
