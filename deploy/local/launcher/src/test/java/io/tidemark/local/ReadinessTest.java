package io.tidemark.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReadinessTest {

    @TempDir
    Path dir;

    @Test
    void oneProbeSessionServesTheWholeWaitAndIsClosedAtItsEnd() {
        FakePart part = new FakePart(3, Duration.ofMinutes(1));

        new Readiness(new StackLayout(dir, dir), StackSettings.load()).await(part, Optional.empty());

        assertEquals(1, part.sessions.size());
        assertEquals(3, part.sessions.get(0).probes);
        assertTrue(part.sessions.get(0).closed);
    }

    @Test
    void theProbeSessionIsClosedWhenThePartNeverAnswers() {
        FakePart part = new FakePart(Integer.MAX_VALUE, Duration.ZERO);

        assertThrows(StackException.class,
                () -> new Readiness(new StackLayout(dir, dir), StackSettings.load()).await(part, Optional.empty()));

        assertEquals(1, part.sessions.size());
        assertTrue(part.sessions.get(0).closed);
    }

    /** A part that answers its {@code answerOn}-th probe of a session. */
    private final class FakePart implements StackPart {

        final List<Session> sessions = new ArrayList<>();
        private final int answerOn;
        private final Duration readyTimeout;

        FakePart(int answerOn, Duration readyTimeout) {
            this.answerOn = answerOn;
            this.readyTimeout = readyTimeout;
        }

        @Override
        public Probe readinessProbe(Duration longestProbe) {
            Session session = new Session(answerOn);
            sessions.add(session);
            return session;
        }

        @Override
        public String name() {
            return "fake";
        }

        @Override
        public String host() {
            return "127.0.0.1";
        }

        @Override
        public int port() {
            return 1;
        }

        @Override
        public List<String> markers() {
            return List.of();
        }

        @Override
        public ProcessHandle start() {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean answers() {
            throw new UnsupportedOperationException("the wait probes through its session");
        }

        @Override
        public boolean answers(Duration timeout) {
            throw new UnsupportedOperationException("the wait probes through its session");
        }

        @Override
        public Duration readyTimeout() {
            return readyTimeout;
        }

        @Override
        public Path log() {
            return dir.resolve("fake.log");
        }

        @Override
        public PidFile pidFile() {
            return new PidFile(dir.resolve("fake.pid"));
        }
    }

    private static final class Session implements Probe {
        private final int answerOn;
        int probes;
        boolean closed;

        Session(int answerOn) {
            this.answerOn = answerOn;
        }

        @Override
        public boolean answers(Duration timeout) {
            probes++;
            return probes >= answerOn;
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
