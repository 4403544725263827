package io.tidemark.faults;

import java.time.Duration;

/** A daemon thread that runs one sampling step at a fixed interval until stopped: what the suite's samplers share. */
final class Periodic {

    private final Thread thread;
    private volatile boolean running = true;

    private Periodic(String name, Duration every, Runnable step) {
        thread = new Thread(() -> {
            while (running) {
                step.run();
                try {
                    Thread.sleep(every.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, name);
        thread.setDaemon(true);
    }

    static Periodic start(String name, Duration every, Runnable step) {
        Periodic periodic = new Periodic(name, every, step);
        periodic.thread.start();
        return periodic;
    }

    void stop() {
        running = false;
        thread.interrupt();
    }
}
