package io.tidemark.faults;

import java.time.Instant;
import java.util.OptionalLong;

/**
 * How acknowledgements flowed around a fault, from the client's per-second counts of acknowledged
 * requests ({@link GroundTruth#requestAcknowledged()}): the rate during
 * the fault as a share of the rate before it, the longest run of seconds without a single
 * acknowledgement, and how long after the heal the rate was back to steady.
 *
 * @param beforePerSecond acknowledged requests per second over the {@link #BEFORE_SECONDS} before the
 *                        fault (from the load's start, its first two seconds left out, if that is later):
 *                        eleven JVMs warming up on two cores get faster for minutes, so a rate from the
 *                        load's start understated the steady rate and made a fault look faster than it
 * @param duringShare     the rate from the fault to its heal as a share of {@code beforePerSecond}
 * @param longestGapSeconds the longest run of whole seconds with no acknowledgement while the load ran
 * @param recoverySeconds seconds from the heal until a three-second window reached {@link #STEADY} of
 *                        the rate before; empty if it never did before the load stopped
 */
record AckRates(double beforePerSecond, double duringShare, long longestGapSeconds, OptionalLong recoverySeconds) {

    static final double STEADY = 0.8;
    private static final int WARM_UP_SECONDS = 2;
    static final int BEFORE_SECONDS = 10;
    private static final int WINDOW_SECONDS = 3;

    static AckRates of(GroundTruth truth, Instant loadStarted, Instant faultStarted, Instant healed, Instant loadStopped) {
        long start = loadStarted.getEpochSecond() + WARM_UP_SECONDS;
        long fault = faultStarted.getEpochSecond();
        long heal = healed.getEpochSecond();
        long stop = loadStopped.getEpochSecond();
        double before = rate(truth, Math.max(start, fault - BEFORE_SECONDS), fault);
        double during = rate(truth, fault, Math.max(heal, fault + 1));
        long gap = 0;
        long run = 0;
        for (long second = start; second < stop; second++) {
            run = truth.acksIn(second) == 0 ? run + 1 : 0;
            gap = Math.max(gap, run);
        }
        OptionalLong recovery = OptionalLong.empty();
        for (long second = heal; second + WINDOW_SECONDS <= stop; second++) {
            if (rate(truth, second, second + WINDOW_SECONDS) >= STEADY * before) {
                recovery = OptionalLong.of(second - heal);
                break;
            }
        }
        return new AckRates(before, before == 0 ? 0 : during / before, gap, recovery);
    }

    /** Acknowledgements per second over [from, to). */
    private static double rate(GroundTruth truth, long from, long to) {
        if (to <= from) {
            return 0;
        }
        long acks = 0;
        for (long second = from; second < to; second++) {
            acks += truth.acksIn(second);
        }
        return (double) acks / (to - from);
    }

    String recoveryText() {
        return recoverySeconds.isPresent() ? recoverySeconds.getAsLong() + " s" : "not within the load";
    }
}
