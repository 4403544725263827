package io.tidemark.faults;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LagSamplerTest {

    private static final long T0 = 1_800_000_000L;

    @Test
    void theLagIsBackWhenItFallsUnderItsHighestBeforeTheFault() {
        LagSampler lag = new LagSampler("unused:9092");
        lag.sample(T0, 300);
        lag.sample(T0 + 2, 500);
        // The fault at T0 + 10 piles up records; the heal at T0 + 20; drained by T0 + 26.
        lag.sample(T0 + 12, 4_000);
        lag.sample(T0 + 20, 9_000);
        lag.sample(T0 + 24, 2_000);
        lag.sample(T0 + 26, 450);
        lag.sample(T0 + 28, 100);
        Instant fault = Instant.ofEpochSecond(T0 + 10);
        Instant healed = Instant.ofEpochSecond(T0 + 20);
        assertEquals(9_000, lag.peakAfter(fault));
        assertEquals(OptionalLong.of(6), lag.recoverySeconds(fault, healed));
    }

    @Test
    void aLagThatNeverFallsBackHasNoRecoveryAndASmallLagCountsAsSteady() {
        LagSampler never = new LagSampler("unused:9092");
        never.sample(T0, 0);
        never.sample(T0 + 22, 5_000);
        assertEquals(OptionalLong.empty(),
                never.recoverySeconds(Instant.ofEpochSecond(T0 + 10), Instant.ofEpochSecond(T0 + 20)));

        LagSampler small = new LagSampler("unused:9092");
        small.sample(T0, 0);
        small.sample(T0 + 22, 150);
        assertEquals(OptionalLong.of(2),
                small.recoverySeconds(Instant.ofEpochSecond(T0 + 10), Instant.ofEpochSecond(T0 + 20)));
    }
}
