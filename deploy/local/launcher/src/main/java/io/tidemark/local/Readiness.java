package io.tidemark.local;

import java.time.Duration;
import java.util.Optional;

/** Waits until a part answers its readiness probe; fails early if its process dies, with the log's tail. */
final class Readiness {

    /**
     * The longest a single probe may take. A broker restarted after kill -9 on two cores shared with a
     * dozen other JVMs ran for 100 s before a fresh Admin client's describeCluster fit into 2 s.
     */
    private static final Duration LONGEST_PROBE = Duration.ofSeconds(16);

    private final StackLayout layout;
    private final Duration poll;
    private final Duration firstProbe;
    private final int tailLines;

    Readiness(StackLayout layout, StackSettings settings) {
        this.layout = layout;
        this.poll = settings.millis("poll.interval.millis");
        this.firstProbe = settings.millis("probe.timeout.millis");
        this.tailLines = settings.integer("log.tail.lines");
    }

    /**
     * Returns how long the wait took. Each failed probe doubles the next one's timeout up to
     * {@link #LONGEST_PROBE}: a quick answer costs nothing on an idle machine, and a loaded one still
     * gets a probe long enough to succeed. The probes share what the part keeps open between them.
     */
    Duration await(StackPart part, Optional<ProcessHandle> process) {
        long start = System.nanoTime();
        long deadline = start + part.readyTimeout().toNanos();
        Duration timeout = firstProbe;
        try (Probe probe = part.readinessProbe(LONGEST_PROBE)) {
            while (true) {
                if (probe.answers(timeout)) {
                    return Duration.ofNanos(System.nanoTime() - start);
                }
                if (process.isPresent() && !process.get().isAlive()) {
                    throw failure(part, "exited before it answered on " + part.address());
                }
                if (System.nanoTime() > deadline) {
                    throw failure(part, "did not answer on " + part.address() + " within " + part.readyTimeout().toSeconds() + " s");
                }
                timeout = timeout.multipliedBy(2).compareTo(LONGEST_PROBE) > 0 ? LONGEST_PROBE : timeout.multipliedBy(2);
                Sleep.sleep(poll);
            }
        }
    }

    StackException failure(StackPart part, String what) {
        return new StackException(part.name() + " " + what + ". Last lines of " + layout.display(part.log()) + ":\n  "
                + String.join("\n  ", LogFiles.tail(part.log(), tailLines)));
    }
}
