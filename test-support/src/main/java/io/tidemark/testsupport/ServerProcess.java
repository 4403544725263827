package io.tidemark.testsupport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.awaitility.core.ConditionTimeoutException;

import static org.awaitility.Awaitility.await;

/** A server a test started as a child process: waiting until its port accepts, and stopping it by its PID. */
public final class ServerProcess {

    private static final Duration ACCEPT_PATIENCE = Duration.ofMillis(200);
    private static final Duration KILL_PATIENCE = Duration.ofSeconds(10);

    private ServerProcess() {
    }

    /**
     * Returns once {@code 127.0.0.1:port} accepts a connection; fails at once, with {@code diagnosis} (its log,
     * typically), if the process exits first, and after {@code within} otherwise.
     */
    public static void awaitListening(Process process, String name, int port, Duration within, Supplier<String> diagnosis) {
        try {
            await(name + " listening on 127.0.0.1:" + port).atMost(within).pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException(name + " exited with " + process.exitValue() + ": " + diagnosis.get());
                        }
                        return accepts(port, ACCEPT_PATIENCE);
                    });
        } catch (ConditionTimeoutException e) {
            stop(process, KILL_PATIENCE);
            throw new IllegalStateException(name + " did not listen on " + port + " within " + within + ": " + diagnosis.get(), e);
        } catch (RuntimeException e) {
            stop(process, KILL_PATIENCE);
            throw e;
        }
    }

    /** SIGTERM, then SIGKILL if it still runs after {@code grace}. */
    public static void stop(Process process, Duration grace) {
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(KILL_PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether {@code 127.0.0.1:port} accepts a TCP connection within {@code patience}. */
    static boolean accepts(int port, Duration patience) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), (int) patience.toMillis());
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }
}
