package io.tidemark.local;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Stops processes the stack recorded: SIGTERM to all at once, then SIGKILL to those still alive after the grace time. */
final class ProcessStopper {

    /** A recorded process to stop and the name it is reported under. */
    record Target(String name, ProcessHandle process) {
    }

    private static final Duration AFTER_KILL = Duration.ofSeconds(10);

    private final Duration grace;
    private final Duration poll;

    ProcessStopper(StackSettings settings) {
        this.grace = settings.seconds("stop.grace.seconds");
        this.poll = settings.millis("poll.interval.millis");
    }

    /** Stops all targets in parallel; returns one line per target saying how it ended. */
    List<String> stop(List<Target> targets) {
        for (Target target : targets) {
            target.process.destroy();
        }
        long start = System.nanoTime();
        waitForExit(targets, grace);
        Set<Target> killed = new HashSet<>();
        for (Target target : targets) {
            if (target.process.isAlive()) {
                target.process.destroyForcibly();
                killed.add(target);
            }
        }
        waitForExit(targets, AFTER_KILL);
        String took = String.format("%.1f s", (System.nanoTime() - start) / 1e9);
        List<String> report = new ArrayList<>();
        for (Target target : targets) {
            String how = target.process.isAlive() ? "STILL ALIVE after SIGKILL"
                    : killed.contains(target) ? "killed with SIGKILL after " + grace.toSeconds() + " s of SIGTERM"
                    : "stopped";
            report.add(target.name + " (pid " + target.process.pid() + "): " + how + " [" + took + "]");
        }
        return report;
    }

    private void waitForExit(List<Target> targets, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline && targets.stream().anyMatch(t -> t.process.isAlive())) {
            Sleep.sleep(poll);
        }
    }
}
