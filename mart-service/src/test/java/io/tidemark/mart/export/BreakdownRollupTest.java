package io.tidemark.mart.export;

import io.tidemark.mart.layout.MartLayout;
import io.tidemark.mart.layout.UserKeyHash;
import io.tidemark.mart.model.HourRange;
import io.tidemark.mart.query.BreakdownPath;
import org.duckdb.DuckDBConnection;
import org.duckdb.DuckDBDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A late slice merged into a day's breakdown state gives the same rollup as the whole day counted
 * again, with users that were already counted in kept hours not counted twice.
 */
class BreakdownRollupTest {

    private static final List<BreakdownPath> PATHS = List.of(BreakdownPath.parse("properties.plan"),
            BreakdownPath.parse("event"));
    private static final HourRange LATE_SLICE = new HourRange(12, 16);

    @TempDir
    Path dir;

    private DuckDBConnection duck;

    @BeforeEach
    void day() throws SQLException {
        // The driver itself, not DriverManager: after Quarkus tests ran in this JVM it may not find the driver.
        duck = (DuckDBConnection) new DuckDBDriver().connect("jdbc:duckdb:", new Properties());
        try (Statement sql = duck.createStatement()) {
            sql.execute("CREATE TABLE events (event_time TIMESTAMPTZ, event VARCHAR, user_id VARCHAR, "
                    + "anonymous_id VARCHAR, properties VARCHAR, type VARCHAR DEFAULT 'track', context VARCHAR, traits VARCHAR)");
            // 24 hours x 50 events: 40 users, plans by user, some events without a plan or a user, one bad JSON.
            sql.execute("INSERT INTO events (event_time, event, user_id, anonymous_id, properties) SELECT to_timestamp(1789000000 - 1789000000 % 86400 + h * 3600 + i * 60), "
                    + "CASE WHEN i % 2 = 0 THEN 'Tick' ELSE 'Tock' END, "
                    + "CASE WHEN i % 10 = 9 THEN NULL ELSE 'u' || ((h * 7 + i) % 40) END, "
                    + "CASE WHEN i % 20 = 19 THEN 'anon' || i END, "
                    + "CASE WHEN i % 13 = 0 THEN NULL WHEN i = 7 THEN '{bad' "
                    + "ELSE '{\"plan\":\"p' || ((h * 7 + i) % 40 % 3) || '\"}' END "
                    + "FROM range(24) AS hours(h), range(50) AS n(i)");
        }
    }

    @AfterEach
    void close() throws SQLException {
        duck.close();
    }

    @Test
    void aMergedSliceGivesTheRollupOfTheWholeDay() throws Exception {
        Path before = Files.createDirectories(dir.resolve("before"));
        BreakdownRollup.write(duck, new RunningStatements(), "events", PATHS, before, true);
        assertTrue(BreakdownRollup.canMerge(duck, before, PATHS));

        try (Statement sql = duck.createStatement()) {
            // Late events in hours 13 and 15: a known user with a new plan, a new user, a user of kept hours only.
            sql.execute("INSERT INTO events (event_time, event, user_id, anonymous_id, properties) VALUES "
                    + "(to_timestamp(1789000000 - 1789000000 % 86400 + 13 * 3600 + 5), 'Tick', 'u1', NULL, '{\"plan\":\"gold\"}'), "
                    + "(to_timestamp(1789000000 - 1789000000 % 86400 + 15 * 3600 + 9), 'Late', 'new-user', NULL, '{\"plan\":\"p1\"}'), "
                    + "(to_timestamp(1789000000 - 1789000000 % 86400 + 13 * 3600 + 7), 'Tock', 'u3', NULL, '{\"plan\":\"p0\"}')");
        }
        Path merged = Files.createDirectories(dir.resolve("merged"));
        BreakdownRollup.merge(duck, new RunningStatements(), "(SELECT * FROM events WHERE " + LatenessRollup.hourOfEventRow() + " >= 12 AND "
                + LatenessRollup.hourOfEventRow() + " < 16)", List.of(LATE_SLICE), before, PATHS, merged);
        Path whole = Files.createDirectories(dir.resolve("whole"));
        BreakdownRollup.write(duck, new RunningStatements(), "events", PATHS, whole, true);

        for (String file : List.of(MartLayout.BREAKDOWN_ROLLUP, MartLayout.BREAKDOWN_HOURS, MartLayout.BREAKDOWN_USERS)) {
            assertEquals(rows(whole.resolve(file)), rows(merged.resolve(file)), file);
        }
        List<String> rollup = rows(merged.resolve(MartLayout.BREAKDOWN_ROLLUP));
        assertTrue(rollup.contains("properties.plan|gold|1|1"), rollup.toString());
        assertTrue(rollup.contains("event|Late|1|1"), rollup.toString());
        // Distinct users by value, counted as the event files count them (by user key, not hash).
        assertEquals(rows("SELECT 'event', event, count(*), count(DISTINCT coalesce(user_id, anonymous_id)) FROM events "
                + "GROUP BY ALL ORDER BY 2"), rows("SELECT * FROM read_parquet('" + merged.resolve(MartLayout.BREAKDOWN_ROLLUP)
                + "') WHERE path = 'event' ORDER BY 2"));
    }

    @Test
    void stateOfOtherPathsOrNoStateIsNotMergedInto() throws Exception {
        Path small = Files.createDirectories(dir.resolve("small"));
        BreakdownRollup.write(duck, new RunningStatements(), "events", PATHS, small, false);
        assertTrue(Files.exists(small.resolve(MartLayout.BREAKDOWN_ROLLUP)));
        assertFalse(Files.exists(small.resolve(MartLayout.BREAKDOWN_HOURS)), "a day of one file keeps no state");
        assertFalse(BreakdownRollup.canMerge(duck, small, PATHS));

        Path sliced = Files.createDirectories(dir.resolve("sliced"));
        BreakdownRollup.write(duck, new RunningStatements(), "events", PATHS, sliced, true);
        assertFalse(BreakdownRollup.canMerge(duck, sliced, List.of(PATHS.get(0))), "a path removed since");
        assertFalse(BreakdownRollup.canMerge(duck, sliced, List.of(PATHS.get(0), PATHS.get(1),
                BreakdownPath.parse("type"))), "a path added since");
        assertFalse(BreakdownRollup.canMerge(duck, sliced, List.of()), "no path configured");
    }

    @Test
    void aDayWithoutStateCountsWhatTheKeysByHourCount() throws Exception {
        // Two paths in one JSON column (one parse of it for both), one in another, and a plain column;
        // contexts that are not JSON, a JSON array, a JSON null value, a nested object and no context at all.
        List<BreakdownPath> paths = List.of(BreakdownPath.parse("context.os.name"), BreakdownPath.parse("properties.plan"),
                BreakdownPath.parse("context.device.type"), BreakdownPath.parse("event"));
        try (Statement sql = duck.createStatement()) {
            sql.execute("UPDATE events SET context = CASE epoch(event_time)::BIGINT % 7 "
                    + "WHEN 0 THEN '{\"os\":{\"name\":\"iOS\"},\"device\":{\"type\":\"mobile\"}}' "
                    + "WHEN 1 THEN '{\"os\":{\"name\":\"Android\"}}' "
                    + "WHEN 2 THEN 'not json' WHEN 3 THEN '[1, 2]' "
                    + "WHEN 4 THEN '{\"os\":{\"name\":null},\"device\":{\"type\":{\"kind\":\"tv\"}}}' "
                    + "WHEN 5 THEN '{\"os\":{\"name\":\"iOS\"},\"device\":{\"type\":\"tablet\"}} trailing' END");
        }
        Path withoutState = Files.createDirectories(dir.resolve("without-state"));
        BreakdownRollup.write(duck, new RunningStatements(), "events", paths, withoutState, false);
        Path withState = Files.createDirectories(dir.resolve("with-state"));
        BreakdownRollup.write(duck, new RunningStatements(), "events", paths, withState, true);

        List<String> rollup = rows(withoutState.resolve(MartLayout.BREAKDOWN_ROLLUP));
        assertEquals(rows(withState.resolve(MartLayout.BREAKDOWN_ROLLUP)), rollup);
        // Each path as a query asks it of the events, with the expression the queries use.
        for (BreakdownPath path : paths) {
            String expected = "SELECT ?::VARCHAR, " + path.expression() + " AS v, count(*), "
                    + "count(DISTINCT " + UserKeyHash.ofEventRow() + ") FROM events GROUP BY ALL ORDER BY ALL";
            List<Object> parameters = new ArrayList<>(List.of(path.by()));
            parameters.addAll(path.parameters());
            assertEquals(rows(expected, parameters), rows("SELECT * FROM read_parquet('" + withoutState.resolve(
                    MartLayout.BREAKDOWN_ROLLUP) + "') WHERE path = '" + path.by() + "' ORDER BY ALL"), path.by());
        }
        assertTrue(rollup.contains("context.device.type|{\"kind\":\"tv\"}|" + countOf("epoch(event_time)::BIGINT % 7 = 4") + "|"
                + usersOf("epoch(event_time)::BIGINT % 7 = 4")), rollup.toString());
        assertTrue(rollup.stream().anyMatch(row -> row.startsWith("context.os.name|null|")), "no value: " + rollup);
    }

    private long countOf(String where) throws SQLException {
        return Long.parseLong(rows("SELECT count(*) FROM events WHERE " + where).get(0));
    }

    private long usersOf(String where) throws SQLException {
        return Long.parseLong(rows("SELECT count(DISTINCT coalesce(user_id, anonymous_id)) FROM events WHERE " + where).get(0));
    }

    private List<String> rows(String query, List<Object> parameters) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (PreparedStatement sql = duck.prepareStatement(query)) {
            for (int i = 0; i < parameters.size(); i++) {
                sql.setObject(i + 1, parameters.get(i));
            }
            try (ResultSet result = sql.executeQuery()) {
                int columns = result.getMetaData().getColumnCount();
                while (result.next()) {
                    List<String> row = new ArrayList<>();
                    for (int i = 1; i <= columns; i++) {
                        row.add(String.valueOf(result.getObject(i)));
                    }
                    rows.add(String.join("|", row));
                }
            }
        }
        return rows;
    }

    private List<String> rows(Path file) throws SQLException {
        return rows("SELECT * FROM read_parquet('" + file + "') ORDER BY ALL");
    }

    private List<String> rows(String query) throws SQLException {
        return rows(query, List.of());
    }
}
