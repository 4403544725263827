package io.tidemark.ingest.service;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import io.tidemark.ingest.service.rejection.EventNotStoredException;

class KafkaOutageTest {

    private final KafkaOutage outage = new KafkaOutage(WriteKeyAuthenticatorTest.config(Map.of("web", List.of("k"))));

    @Test
    void requestsPassUntilKafkaFails() {
        assertDoesNotThrow(outage::check);
    }

    @Test
    void rightAfterAFailureRequestsAreRefusedAtOnce() {
        outage.failed();
        assertThrows(EventNotStoredException.class, outage::check);
    }

    @Test
    void aSuccessEndsTheOutage() {
        outage.failed();
        outage.succeeded();
        assertDoesNotThrow(outage::check);
    }
}
