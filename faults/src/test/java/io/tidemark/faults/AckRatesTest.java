package io.tidemark.faults;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AckRatesTest {

    private static final long T0 = 1_800_000_000L;

    /** Ten acknowledged requests a second, except in {@code [from, to)} where there are {@code during}. */
    private static GroundTruth steady(long from, long to, int during, long end) {
        GroundTruth truth = new GroundTruth();
        for (long second = T0; second < end; second++) {
            int count = second >= from && second < to ? during : 10;
            for (int i = 0; i < count; i++) {
                truth.requestAcknowledged(second);
            }
        }
        return truth;
    }

    @Test
    void aFaultThatHalvesTheRequestRateShowsAsHalfWithItsRecoveryAtTheHeal() {
        GroundTruth truth = steady(T0 + 20, T0 + 30, 5, T0 + 50);
        AckRates rates = AckRates.of(truth, Instant.ofEpochSecond(T0), Instant.ofEpochSecond(T0 + 20),
                Instant.ofEpochSecond(T0 + 30), Instant.ofEpochSecond(T0 + 50));
        assertEquals(10.0, rates.beforePerSecond(), 1e-9);
        assertEquals(0.5, rates.duringShare(), 1e-9);
        assertEquals(0, rates.longestGapSeconds());
        assertEquals(OptionalLong.of(0), rates.recoverySeconds());
    }

    @Test
    void theRateBeforeIsTheLastTenSecondsNotTheWarmUp() {
        GroundTruth truth = new GroundTruth();
        // A slow start (2 a second for 20 s), then 10 a second up to the fault at T0 + 30.
        for (long second = T0; second < T0 + 40; second++) {
            for (int i = 0; i < (second < T0 + 20 ? 2 : 10); i++) {
                truth.requestAcknowledged(second);
            }
        }
        AckRates rates = AckRates.of(truth, Instant.ofEpochSecond(T0), Instant.ofEpochSecond(T0 + 30),
                Instant.ofEpochSecond(T0 + 35), Instant.ofEpochSecond(T0 + 40));
        assertEquals(10.0, rates.beforePerSecond(), 1e-9);
        assertEquals(1.0, rates.duringShare(), 1e-9);
    }

    @Test
    void secondsWithoutAnyAcknowledgementAreTheGapAndRecoveryWaitsForASteadyWindow() {
        GroundTruth truth = steady(T0 + 20, T0 + 32, 0, T0 + 50);
        // Two more slow seconds after the heal at T0 + 30 before the rate is back.
        AckRates rates = AckRates.of(truth, Instant.ofEpochSecond(T0), Instant.ofEpochSecond(T0 + 20),
                Instant.ofEpochSecond(T0 + 30), Instant.ofEpochSecond(T0 + 50));
        assertEquals(0.0, rates.duringShare(), 1e-9);
        assertEquals(12, rates.longestGapSeconds());
        assertEquals(OptionalLong.of(2), rates.recoverySeconds());
    }
}
