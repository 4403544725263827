package io.tidemark.bench.dedup;

import java.util.ArrayList;
import java.util.List;

/**
 * The rate of a run between 10 % and 90 % of its items: a least-squares line through (time, items done)
 * samples in that span. Unlike items over the whole run, it leaves out what a run pays once whatever its
 * length: the wait for the first fetch, and at the end the last batch's linger and the commit interval
 * (0.0-0.7 s for dedup, 0.4 s at the median, against some 5 s of work in a 100,000-record range).
 */
final class SteadyRate {

    private static final double FROM = 0.10;
    private static final double TO = 0.90;

    private final long total;
    private final List<long[]> samples = new ArrayList<>();

    SteadyRate(long total) {
        this.total = total;
    }

    /** Records that {@code done} items were done at {@code nanoTime}. */
    synchronized void sample(long nanoTime, long done) {
        if (done >= FROM * total && done <= TO * total) {
            samples.add(new long[] {nanoTime, done});
        }
    }

    /** Items per second, or NaN with fewer than three samples in the span. */
    synchronized double perSecond() {
        int n = samples.size();
        if (n < 3) {
            return Double.NaN;
        }
        long origin = samples.get(0)[0];
        double meanT = 0;
        double meanD = 0;
        for (long[] s : samples) {
            meanT += (s[0] - origin) / 1e9;
            meanD += s[1];
        }
        meanT /= n;
        meanD /= n;
        double covariance = 0;
        double variance = 0;
        for (long[] s : samples) {
            double t = (s[0] - origin) / 1e9 - meanT;
            covariance += t * (s[1] - meanD);
            variance += t * t;
        }
        return variance == 0 ? Double.NaN : covariance / variance;
    }
}
