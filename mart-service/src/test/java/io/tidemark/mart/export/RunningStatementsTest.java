package io.tidemark.mart.export;

import org.duckdb.DuckDBConnection;
import org.duckdb.DuckDBDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A stop cancels the export's statement under way on a real DuckDB, and refuses any asked for after it. */
class RunningStatementsTest {

    /** Far more rows than DuckDB sums in the seconds this test waits: minutes of work on any machine. */
    private static final String ENDLESS = "SELECT sum(hash(i)) FROM range(1000000000000) t(i)";
    private static final Duration UNDER_WAY = Duration.ofMillis(500);

    private DuckDBConnection duck;

    @BeforeEach
    void open() throws SQLException {
        // The driver itself, not DriverManager: after Quarkus tests ran in this JVM it may not find the driver.
        duck = (DuckDBConnection) new DuckDBDriver().connect("jdbc:duckdb:", new Properties());
    }

    @AfterEach
    void close() throws SQLException {
        duck.close();
    }

    @Test
    void cancelAllEndsTheStatementUnderWayAndTheConnectionStaysUsable() throws Exception {
        RunningStatements statements = new RunningStatements();
        CompletableFuture<Long> running = CompletableFuture.supplyAsync(() -> {
            try (Statement sql = statements.create(duck); ResultSet sum = sql.executeQuery(ENDLESS)) {
                sum.next();
                return sum.getLong(1);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(UNDER_WAY.toMillis());
        assertFalse(running.isDone(), "the statement still runs before the cancel");

        long started = System.nanoTime();
        statements.cancelAll();
        ExecutionException failed = assertThrows(ExecutionException.class, () -> running.get(30, TimeUnit.SECONDS));
        Duration ended = Duration.ofNanos(System.nanoTime() - started);
        assertInstanceOf(SQLException.class, failed.getCause().getCause(), failed::toString);
        assertTrue(failed.getCause().getCause().getMessage().contains("Interrupted"), failed.getCause()::toString);
        assertTrue(ended.compareTo(Duration.ofSeconds(5)) < 0, "the cancel took " + ended);

        // A day's tables are still dropped on the same connection, outside the statements.
        try (Statement sql = duck.createStatement(); ResultSet one = sql.executeQuery("SELECT 1")) {
            one.next();
            assertEquals(1, one.getInt(1));
        }
    }

    /** The statement a lane was handed as the stop began, executed only after the cancel: it must not run out. */
    @Test
    void aStatementHandedOutBeforeTheCancelAndRunAfterItIsCancelledAsItStarts() throws Exception {
        RunningStatements statements = new RunningStatements();
        Statement handedOut = statements.create(duck);
        statements.cancelAll();
        // The lane runs it a moment later: past the cancel itself.
        Thread.sleep(UNDER_WAY.toMillis());

        long started = System.nanoTime();
        CompletableFuture<Long> running = CompletableFuture.supplyAsync(() -> {
            try (ResultSet sum = handedOut.executeQuery(ENDLESS)) {
                sum.next();
                return sum.getLong(1);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            ExecutionException failed = assertThrows(ExecutionException.class, () -> running.get(30, TimeUnit.SECONDS));
            Duration ended = Duration.ofNanos(System.nanoTime() - started);
            assertTrue(failed.getCause().getCause().getMessage().contains("Interrupted"), failed.getCause()::toString);
            assertTrue(ended.compareTo(Duration.ofSeconds(5)) < 0, "the cancel took " + ended);
        } finally {
            // Without the repeated cancel the query would still run here: end it so that the connection closes.
            while (!running.isDone()) {
                handedOut.cancel();
                Thread.sleep(10);
            }
            handedOut.close();
        }
    }

    @Test
    void noStatementIsHandedOutAfterTheCancel() throws SQLException {
        RunningStatements statements = new RunningStatements();
        statements.cancelAll();
        SQLException refused = assertThrows(SQLException.class, () -> statements.create(duck));
        assertTrue(refused.getMessage().contains("halted by the stop"), refused::getMessage);
        assertThrows(SQLException.class, () -> statements.prepare(duck, "SELECT 1"));
    }
}
