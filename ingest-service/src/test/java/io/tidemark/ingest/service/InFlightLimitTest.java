package io.tidemark.ingest.service;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import io.tidemark.ingest.service.rejection.ProducerSaturatedException;

class InFlightLimitTest {

    @Test
    void fewLargeEventsBeyondTheByteBudgetAreRefused() {
        InFlightLimit limit = new InFlightLimit(1000, 10_000);
        limit.acquire(2, 8_000);
        ProducerSaturatedException refused = assertThrows(ProducerSaturatedException.class, () -> limit.acquire(1, 3_000));
        assertThat(refused.getMessage(), containsString("10000 bytes"));
    }

    @Test
    void aRefusalReservesNothingSoTheRoomLeftStaysUsable() {
        InFlightLimit limit = new InFlightLimit(3, 10_000);
        limit.acquire(2, 1_000);
        assertThat(assertThrows(ProducerSaturatedException.class, () -> limit.acquire(2, 1_000)).getMessage(),
                containsString("3 events"));
        assertThat(assertThrows(ProducerSaturatedException.class, () -> limit.acquire(1, 9_500)).getMessage(),
                containsString("bytes"));
        assertDoesNotThrow(() -> limit.acquire(1, 9_000));
    }

    @Test
    void acknowledgedBytesMakeRoomAgain() {
        InFlightLimit limit = new InFlightLimit(1000, 10_000);
        limit.acquire(1, 10_000);
        limit.release(1, 10_000);
        assertDoesNotThrow(() -> limit.acquire(1, 10_000));
    }
}
