package io.tidemark.mart.export;

import org.duckdb.DuckDBConnection;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The DuckDB statements the export runs for its days, so that a stop can cancel the one under way: at issue #20's
 * scale a single statement (an hour slice's file, a day's rollup) runs for minutes, past any grace period. Once
 * {@linkplain #cancelAll cancelled}, every statement asked for fails at once, for good, as a halted export wants.
 * Statements that must run after a cancel (dropping a day's tables) are not asked for here.
 */
final class RunningStatements {

    private final Set<Statement> open = ConcurrentHashMap.newKeySet();
    private volatile boolean cancelled;

    Statement create(DuckDBConnection duck) throws SQLException {
        return track(duck.createStatement());
    }

    PreparedStatement prepare(DuckDBConnection duck, String sql) throws SQLException {
        return track(duck.prepareStatement(sql));
    }

    /**
     * Cancels every statement running, and refuses every one asked for from now on. A statement handed out in the
     * same instant but not yet executing is not cancelled (DuckDB cancels only a running one) and may still run out.
     */
    void cancelAll() {
        cancelled = true;
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
