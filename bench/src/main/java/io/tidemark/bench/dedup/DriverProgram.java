package io.tidemark.bench.dedup;

import com.datastax.oss.driver.api.core.CqlSession;
import io.tidemark.bench.CassandraSessions;
import io.tidemark.event.CollectedEvent;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import java.util.function.Function;
import java.util.function.IntFunction;

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
     * A program on a session of its own that has written {@code ranges} ranges of rows of their own, each
     * made by {@code range} only when its turn comes, so that one range at a time is held, to warm the
     * connection pool, the JIT and Cassandra's path for its requests
     * before any round is timed. Prints each range's rate, so a reader sees whether it levelled off. The
     * session is closed if that fails.
     */
    static <P extends DriverProgram> P warmed(String name, String contact, Function<CqlSession, P> program,
            int ranges, IntFunction<List<CollectedEvent>> range) throws Exception {
        CqlSession session = CassandraSessions.open(contact);
        try {
            P warmed = program.apply(session);
            List<String> rates = new ArrayList<>();
            for (int i = 0; i < ranges; i++) {
                rates.add(String.format("%.0f", warmed.rowsPerSecond(range.apply(i)).whole()));
            }
            System.out.printf("  %s: warm-up of %d ranges, rows/s of each: %s%n", name, ranges, String.join(", ", rates));
            return warmed;
        } catch (Exception | Error e) {
            session.close();
            throw e;
        }
    }

    /** Rows per second for storing all {@code events}: over the whole write, and steady ({@link SteadyRate}). */
    final Rates rowsPerSecond(List<CollectedEvent> events) throws Exception {
        SteadyRate steady = new SteadyRate(events.size());
        AtomicLong done = new AtomicLong();
        long start = System.nanoTime();
        write(events, rows -> steady.sample(System.nanoTime(), done.addAndGet(rows)));
        return new Rates(events.size() / ((System.nanoTime() - start) / 1e9), steady.perSecond());
    }

    /** Rows per second over a whole write, and between 10 % and 90 % of its rows. */
    record Rates(double whole, double steady) {
    }

    /**
     * Stores every event, returning once Cassandra acknowledged all of it; throws on the first failure.
     * Tells {@code stored} of each group of rows Cassandra acknowledged.
     */
    abstract void write(List<CollectedEvent> events, IntConsumer stored) throws Exception;

    @Override
    public void close() {
        session.close();
    }
}
