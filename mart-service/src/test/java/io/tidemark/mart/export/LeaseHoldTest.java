package io.tidemark.mart.export;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LeaseHoldTest {

    private static final Duration TTL = Duration.ofSeconds(60);
    private static final Duration RENEW_EVERY = Duration.ofSeconds(15);
    private final AtomicLong now = new AtomicLong();

    private LeaseHold acquiredAt(long seconds) {
        now.set(seconds(seconds));
        return new LeaseHold(TTL, RENEW_EVERY, now.get(), now::get);
    }

    private static long seconds(long seconds) {
        return Duration.ofSeconds(seconds).toNanos();
    }

    @Test
    void confirmedRenewalsKeepTheHoldForAsLongAsTheExportRuns() {
        LeaseHold hold = acquiredAt(0);
        for (long second = 15; second <= 600; second += 15) {
            now.set(seconds(second));
            hold.renewed(now.get(), true);
            assertFalse(hold.lost(), "held at " + second + " s");
        }
    }

    @Test
    void aRenewalThatFindsAnotherOwnerLosesTheHoldAtOnce() {
        LeaseHold hold = acquiredAt(0);
        now.set(seconds(15));
        hold.renewed(now.get(), false);
        assertTrue(hold.lost());
    }

    @Test
    void withoutAConfirmedRenewalTheHoldEndsOneRenewalPeriodBeforeTheLeaseCouldRunOut() {
        LeaseHold hold = acquiredAt(100);
        now.set(seconds(144));
        assertFalse(hold.lost(), "44 s after the last confirmation: still held");
        now.set(seconds(145));
        assertTrue(hold.lost(), "45 s (ttl - renew-every): another replica may be about to take the source");
    }

    @Test
    void aConfirmationCountsFromWhenItsRequestWasSentNotWhenItsAnswerCame() {
        LeaseHold hold = acquiredAt(0);
        long sent = seconds(15);
        now.set(seconds(40));
        hold.renewed(sent, true);
        now.set(seconds(59));
        assertFalse(hold.lost());
        now.set(seconds(60));
        assertTrue(hold.lost(), "the lease was written at most at 15 s, so it may end at 75 s");
    }

    @Test
    void aLateAnswerToAnOlderRenewalNeverMovesTheConfirmationBack() {
        LeaseHold hold = acquiredAt(0);
        hold.renewed(seconds(30), true);
        hold.renewed(seconds(15), true);
        now.set(seconds(74));
        assertFalse(hold.lost());
    }
}
