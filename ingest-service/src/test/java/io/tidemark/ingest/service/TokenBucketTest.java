package io.tidemark.ingest.service;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TokenBucketTest {

    private static final long SECOND = 1_000_000_000L;
    private final AtomicLong now = new AtomicLong();
    private final TokenBucket bucket = new TokenBucket(10, 20, now::get);

    @Test
    void aFullBucketLetsTheBurstThroughThenAsksToWait() {
        assertEquals(0, bucket.tryTake(20));
        assertEquals(1, bucket.tryTake(1));
    }

    @Test
    void tokensComeBackAtTheConfiguredRate() {
        bucket.tryTake(20);
        now.addAndGet(SECOND / 2);
        assertEquals(0, bucket.tryTake(5));
        assertEquals(1, bucket.tryTake(1));
    }

    @Test
    void aBatchLargerThanTheBurstPassesOnceAndItsDebtDelaysTheNext() {
        assertEquals(0, bucket.tryTake(70));
        // 50 tokens in debt at 10 per second: the next token is there in about 5 s.
        assertEquals(6, bucket.tryTake(1));
        now.addAndGet(6 * SECOND);
        assertEquals(0, bucket.tryTake(1));
    }

    @Test
    void theBucketNeverHoldsMoreThanItsCapacity() {
        now.addAndGet(3600 * SECOND);
        assertEquals(0, bucket.tryTake(20));
        assertEquals(1, bucket.tryTake(1));
    }
}
