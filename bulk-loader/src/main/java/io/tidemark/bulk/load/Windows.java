package io.tidemark.bulk.load;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** [from, to) cut into consecutive windows of at most {@code step}; the last one may be shorter. */
public final class Windows {

    /** One half-open window of the window column. */
    public record Window(Instant from, Instant to) {
    }

    private Windows() {
    }

    public static List<Window> split(Instant from, Instant to, Duration step) {
        if (step != null && (step.isZero() || step.isNegative())) {
            throw new IllegalArgumentException("a window step must be positive: " + step);
        }
        List<Window> windows = new ArrayList<>();
        for (Instant start = from; start.isBefore(to); ) {
            Instant end = step == null || start.plus(step).isAfter(to) ? to : start.plus(step);
            windows.add(new Window(start, end));
            start = end;
        }
        return windows;
    }
}
