package io.tidemark.bench.mart;

import java.util.Random;

/**
 * The bench's arrival delays, receivedAt − event time: 90 % within an hour, 8 % over an hour up to
 * a day, 1.5 % over a day up to a week, 0.5 % over a week up to 30 days, each uniform in its band.
 * A phone app's shape: most events are sent within minutes, a few devices are offline for days.
 */
final class ArrivalDelays {

    private static final long MINUTE = 60_000L;
    private static final long HOUR = 60 * MINUTE;
    private static final long DAY = 24 * HOUR;
    /** Upper bounds of the lateness API's buckets (upTo1h, upTo1d, upTo3d, upTo7d, upTo30d); later is past the last. */
    private static final long[] BUCKET_BOUNDS = {HOUR, DAY, 3 * DAY, 7 * DAY, 30 * DAY};
    /** The lateness API's buckets, in its order: upTo1h, upTo1d, upTo3d, upTo7d, upTo30d, later. */
    static final String[] BUCKETS = {"upTo1h", "upTo1d", "upTo3d", "upTo7d", "upTo30d", "later"};

    private ArrivalDelays() {
    }

    /** A delay in milliseconds, at least 1 ms so that no event sits on the on-time edge. */
    static long sampleMillis(Random random) {
        double band = random.nextDouble();
        if (band < 0.90) {
            return between(random, 1, HOUR);
        }
        if (band < 0.98) {
            return between(random, HOUR + 1, DAY);
        }
        if (band < 0.995) {
            return between(random, DAY + 1, 7 * DAY);
        }
        return between(random, 7 * DAY + 1, 30 * DAY);
    }

    /** The lateness API's bucket of a delay; exact, because its rollup grid rounds up onto each bound. */
    static int bucket(long millis) {
        for (int i = 0; i < BUCKET_BOUNDS.length; i++) {
            if (millis <= BUCKET_BOUNDS[i]) {
                return i;
            }
        }
        return BUCKET_BOUNDS.length;
    }

    private static long between(Random random, long min, long max) {
        return min + (long) (random.nextDouble() * (max - min));
    }
}
