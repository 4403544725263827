package io.tidemark.k8s;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/** A {@link PodLaunch} running as a process: its output, and its end the way the kubelet ends a container. */
final class PodProcess implements AutoCloseable {

    private final PodLaunch launch;
    private final Process process;
    private final Path log;
    private Boolean stoppedWithinGrace;
    private long terminatedAt;

    private PodProcess(PodLaunch launch, Process process, Path log) {
        this.launch = launch;
        this.process = process;
        this.log = log;
    }

    /** Starts the launch's command in its working directory with exactly its environment (nothing of this JVM's). */
    static PodProcess start(PodLaunch launch, Path log) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(launch.command()).directory(launch.workingDir().toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().clear();
        builder.environment().putAll(launch.env());
        Process process = builder.start();
        // A test JVM that is killed must not leave a service running.
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        return new PodProcess(launch, process, log);
    }

    PodLaunch launch() {
        return launch;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    Path log() {
        return log;
    }

    String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }

    /** The exit code, or empty if the process still runs after {@code patience}. */
    OptionalInt awaitExit(Duration patience) throws InterruptedException {
        return process.waitFor(patience.toMillis(), TimeUnit.MILLISECONDS) ? OptionalInt.of(process.exitValue()) : OptionalInt.empty();
    }

    /** SIGTERM to this PID, as the kubelet begins a pod's end; the grace period runs from here. */
    void terminate() {
        if (terminatedAt == 0) {
            terminatedAt = System.nanoTime();
            process.destroy();
        }
    }

    /** {@link #terminate()}, then SIGKILL once the pod's terminationGracePeriodSeconds have passed since. */
    void stop() throws InterruptedException {
        if (stoppedWithinGrace != null) {
            return;
        }
        terminate();
        long left = TimeUnit.SECONDS.toNanos(launch.gracePeriodSeconds()) - (System.nanoTime() - terminatedAt);
        stoppedWithinGrace = process.waitFor(Math.max(0, left), TimeUnit.NANOSECONDS);
        if (!stoppedWithinGrace) {
            process.destroyForcibly().waitFor();
        }
    }

    /** Whether the last {@link #stop()} ended the process before its grace period ran out. */
    boolean stoppedWithinGrace() {
        return Boolean.TRUE.equals(stoppedWithinGrace);
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
