package io.tidemark.mart.export;

import org.duckdb.DuckDBConnection;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The DuckDB statements the export runs for its days, so that a stop can cancel the one under way: at issue #20's
 * scale a single statement (an hour slice's file, a day's rollup) runs for minutes, past any grace period. Once
 * {@linkplain #cancelAll cancelled}, every statement asked for fails at once, for good, as a halted export wants.
 * Statements that must run after a cancel (dropping a day's tables) are not asked for here.
 */
final class RunningStatements {

    /**
     * How often a cancel is repeated on the statements still open. DuckDB cancels only a statement that is running,
     * so one handed out just before the cancel and executed just after it would otherwise run out.
     */
    private static final Duration CANCEL_AGAIN_EVERY = Duration.ofMillis(50);
    /** Bounds the repeats, should a statement be left open: the stop waits less than this (export.stop-timeout). */
    private static final Duration CANCEL_AGAIN_FOR = Duration.ofMinutes(2);

    private final Set<Statement> open = ConcurrentHashMap.newKeySet();
    private volatile boolean cancelled;

    Statement create(DuckDBConnection duck) throws SQLException {
        return track(duck.createStatement());
    }

    PreparedStatement prepare(DuckDBConnection duck, String sql) throws SQLException {
        return track(duck.prepareStatement(sql));
    }

    /**
     * Cancels every statement running, and refuses every one asked for from now on. A statement handed out before
     * and executed after this is cancelled too, as it starts: the cancel is repeated on a thread of its own until
     * every statement handed out is closed.
     */
    void cancelAll() {
        cancelled = true;
        cancelOpen();
        if (!open.isEmpty()) {
            Thread again = new Thread(this::cancelUntilClosed, "export-statements-cancel");
            again.setDaemon(true);
            again.start();
        }
    }

    private void cancelUntilClosed() {
        long deadline = System.nanoTime() + CANCEL_AGAIN_FOR.toNanos();
        while (!open.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(CANCEL_AGAIN_EVERY.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            cancelOpen();
        }
    }

    private void cancelOpen() {
        open.removeIf(RunningStatements::closed);
        for (Statement statement : open) {
            try {
                statement.cancel();
            } catch (SQLException e) {
                // Closed meanwhile: nothing left to cancel.
            }
        }
    }

    private <T extends Statement> T track(T statement) throws SQLException {
        open.removeIf(RunningStatements::closed);
        open.add(statement);
        // After the add: a cancelAll that began before it has set the flag, and one that begins after it sees it.
        if (cancelled) {
            open.remove(statement);
            statement.close();
            throw new SQLException("the export was halted by the stop");
        }
        return statement;
    }

    private static boolean closed(Statement statement) {
        try {
            return statement.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }
}
