package io.tidemark.local;

import java.time.Duration;

/** Thread.sleep that turns an interrupt into a clean stop of the command. */
final class Sleep {

    private Sleep() {
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted", e);
        }
    }
}
