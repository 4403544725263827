package io.tidemark.testsupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A stack's PID file is trusted only while its process is still the server the stack started. */
class PrivateStackTest {

    @Test
    void aPidFileNamingAnotherProcessIsNeitherSignalledNorStopped(@TempDir Path dir) throws Exception {
        PrivateStack stack = PrivateStack.of(dir, dir, PrivateStack.Ports.free(), List.of());
        // The number went to a process that is not kafka-2 of this stack: one that runs from kafka's directory
        // beside it, whose path kafka-2's begins with.
        Process other = process(dir.resolve("data/kafka/conf/server.properties").toString());
        try {
            record(dir, "kafka-2", other.pid());
            assertEquals(Optional.empty(), stack.pid("kafka-2"));
            assertThrows(IllegalStateException.class, () -> stack.freeze("kafka-2"));
            stack.kill("kafka-2");
            assertTrue(other.isAlive(), "killed through a PID file that was not its own");
            assertNotEquals('T', state(other), "stopped through a PID file that was not its own");
        } finally {
            other.destroyForcibly().waitFor();
        }
    }

    @Test
    void thePartsOwnProcessIsSignalledAndStopped(@TempDir Path dir) throws Exception {
        PrivateStack stack = PrivateStack.of(dir, dir, PrivateStack.Ports.free(), List.of());
        // As the launcher starts Cassandra: its configuration as a file: URL.
        Process server = process("-Dcassandra.config=" + dir.resolve("data/cassandra/conf/cassandra.yaml").toUri());
        try {
            record(dir, "cassandra", server.pid());
            assertEquals(Optional.of(server.pid()), stack.pid("cassandra"));
            stack.freeze("cassandra");
            // A signal is delivered when the process is next scheduled.
            await("stopped").atMost(Duration.ofSeconds(5)).until(() -> state(server) == 'T');
            stack.thaw("cassandra");
            stack.kill("cassandra");
            assertTrue(server.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "killed");
        } finally {
            server.destroyForcibly().waitFor();
        }
    }

    /** A shell that stays a shell (two commands, so it does not exec sleep) with {@code argument} on its command line. */
    private static Process process(String argument) throws IOException {
        return new ProcessBuilder("bash", "-c", "sleep 60; true", argument).start();
    }

    private static void record(Path dir, String part, long pid) throws IOException {
        Files.createDirectories(dir.resolve("run"));
        Files.writeString(dir.resolve("run/" + part + ".pid"), pid + "\n", StandardCharsets.US_ASCII);
    }

    /** The process's state letter from /proc: T stopped (else R running, S sleeping, …). */
    private static char state(Process process) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
        return stat.charAt(stat.lastIndexOf(')') + 2);
    }
}
