package io.tidemark.bench.dedup;

import com.datastax.oss.driver.api.core.CqlSession;
import io.tidemark.bench.CassandraSessions;
import io.tidemark.event.CollectedEvent;

import java.util.List;
import java.util.function.Function;

/**
 * A plain DataStax-driver program that the dedup bench times beside dedup. It keeps one session for all
 * its rounds, warmed once, as dedup's is.
 */
abstract class DriverProgram implements AutoCloseable {

    protected final CqlSession session;

    protected DriverProgram(CqlSession session) {
        this.session = session;
    }

    /**
     * A program on a session of its own that has written {@code warmUp} (rows of their own) to warm the
     * connection pool and the JIT before any round is timed. The session is closed if that fails.
     */
    static <P extends DriverProgram> P warmed(String contact, Function<CqlSession, P> program,
            List<CollectedEvent> warmUp) throws Exception {
        CqlSession session = CassandraSessions.open(contact);
        try {
            P warmed = program.apply(session);
            warmed.write(warmUp);
            return warmed;
        } catch (Exception | Error e) {
            session.close();
            throw e;
        }
    }

    /** Rows per second for storing all {@code events}. */
    final double rowsPerSecond(List<CollectedEvent> events) throws Exception {
        long start = System.nanoTime();
        write(events);
        return events.size() / ((System.nanoTime() - start) / 1e9);
    }

    /** Stores every event, returning once Cassandra acknowledged all of it; throws on the first failure. */
    abstract void write(List<CollectedEvent> events) throws Exception;

    @Override
    public void close() {
        session.close();
    }
}
