package io.tidemark.mart.export;

import org.duckdb.DuckDBConnection;
import org.duckdb.DuckDBDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The lateness rollup counts each event under the bound its delay rounds up to on the grid: whole minutes
 * up to an hour, quarter hours up to a day, hours up to 30 days, days beyond; on time at or below zero.
 * The delays here sit on both sides of each step and each change of step, where a rounding slip shows.
 */
class LatenessRollupTest {

    /** 2026-11-26T13:00:00Z, in milliseconds: the rows' event time. */
    private static final long EVENT_MS = 1_795_698_000_000L;

    private DuckDBConnection duck;

    @BeforeEach
    void open() throws SQLException {
        // The driver itself, not DriverManager: after Quarkus tests ran in this JVM it may not find the driver.
        duck = (DuckDBConnection) new DuckDBDriver().connect("jdbc:duckdb:", new Properties());
        try (Statement sql = duck.createStatement()) {
            sql.execute("CREATE TABLE events (event_time TIMESTAMP, received_at TIMESTAMP)");
        }
    }

    @AfterEach
    void close() throws SQLException {
        duck.close();
    }

    @Test
    void eachDelayIsCountedUnderTheBoundItRoundsUpTo() throws SQLException {
        long[] delaysMs = {-5_000, 0, 1, 59_999, 60_000, 60_001, 61_000, 3_599_999, 3_600_000, 3_600_001, 4_500_000,
                4_500_001, 86_399_999, 86_400_000, 86_400_001, 90_000_001, 2_591_999_999L, 2_592_000_000L,
                2_592_000_001L, 2_678_400_001L};
        try (Statement sql = duck.createStatement()) {
            for (long delay : delaysMs) {
                sql.execute("INSERT INTO events VALUES (epoch_ms(" + EVENT_MS + "), epoch_ms(" + (EVENT_MS + delay) + "))");
            }
            sql.execute("INSERT INTO events VALUES (epoch_ms(" + EVENT_MS + "), NULL)");
            // The hour's last second, 119 s late: still hour 13.
            sql.execute("INSERT INTO events VALUES (epoch_ms(" + (EVENT_MS + 3_599_000) + "), epoch_ms("
                    + (EVENT_MS + 3_599_000 + 119_000) + "))");
        }

        // hour, bound in seconds, events; in the rollup's order (no received_at last)
        assertEquals(List.of("13 0 2", "13 60 3", "13 120 3", "13 3600 2", "13 4500 2", "13 5400 1", "13 86400 2",
                "13 90000 1", "13 93600 1", "13 2592000 2", "13 2678400 1", "13 2764800 1", "13 null 1"), rollup());
    }

    private List<String> rollup() throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Statement sql = duck.createStatement(); ResultSet result = sql.executeQuery(LatenessRollup.selectFrom("events"))) {
            while (result.next()) {
                Object bound = result.getObject(LatenessRollup.BOUND);
                rows.add(result.getInt(LatenessRollup.HOUR) + " " + bound + " " + result.getLong(LatenessRollup.EVENTS));
            }
        }
        return rows;
    }
}
