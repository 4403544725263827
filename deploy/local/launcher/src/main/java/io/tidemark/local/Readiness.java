package io.tidemark.local;

import java.time.Duration;
import java.util.Optional;

/** Waits until a part answers its readiness probe; fails early if its process dies, with the log's tail. */
final class Readiness {

    private final StackLayout layout;
    private final Duration poll;
    private final int tailLines;

    Readiness(StackLayout layout, StackSettings settings) {
        this.layout = layout;
        this.poll = settings.millis("poll.interval.millis");
        this.tailLines = settings.integer("log.tail.lines");
    }

    /** Returns how long the wait took. */
    Duration await(StackPart part, Optional<ProcessHandle> process) {
        long start = System.nanoTime();
        long deadline = start + part.readyTimeout().toNanos();
        while (true) {
            if (part.answers()) {
                return Duration.ofNanos(System.nanoTime() - start);
            }
            if (process.isPresent() && !process.get().isAlive()) {
                throw failure(part, "exited before it answered on " + part.address());
            }
            if (System.nanoTime() > deadline) {
                throw failure(part, "did not answer on " + part.address() + " within " + part.readyTimeout().toSeconds() + " s");
            }
            Sleep.sleep(poll);
        }
    }

    StackException failure(StackPart part, String what) {
        return new StackException(part.name() + " " + what + ". Last lines of " + layout.display(part.log()) + ":\n  "
                + String.join("\n  ", LogFiles.tail(part.log(), tailLines)));
    }
}
