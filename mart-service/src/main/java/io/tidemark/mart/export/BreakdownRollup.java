package io.tidemark.mart.export;

import io.tidemark.mart.layout.UserKeyHash;
import io.tidemark.mart.query.BreakdownPath;
import org.duckdb.DuckDBConnection;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The per-day breakdown rollup written beside a day's events: for each configured {@code by=} path,
 * one row per value of the day, (path, value, events, users), and one with value NULL for the events
 * without one (missing). Users are distinct by the same user key, counted the same way, as a breakdown
 * read from the event files. A path is in the rollup of every day exported while it was configured and
 * in none other, so "the day's rollup has rows of this path" is exactly "the rollup covers it".
 */
public final class BreakdownRollup {

    /** The {@code by=} text of the row's path, as the caller writes it. */
    public static final String PATH = "path";
    /** The value; NULL for the day's events without one. */
    public static final String VALUE = "value";
    public static final String EVENTS = "events";
    /** Distinct users of the day with the value. */
    public static final String USERS = "users";

    private BreakdownRollup() {
    }

    /** Writes the rollup of {@code table}'s rows for {@code paths} to {@code file}; nothing when no path is configured. */
    static void write(DuckDBConnection duck, String table, List<BreakdownPath> paths, Path file) throws SQLException {
        if (paths.isEmpty()) {
            return;
        }
        String rollup = "breakdowns_" + UUID.randomUUID().toString().replace("-", "");
        List<String> selects = new ArrayList<>();
        List<Object> parameters = new ArrayList<>();
        for (BreakdownPath path : paths) {
            selects.add("SELECT ?::VARCHAR AS " + PATH + ", " + path.expression() + " AS " + VALUE + ", count(*) AS "
                    + EVENTS + ", count(DISTINCT " + UserKeyHash.USER + ") AS " + USERS + " FROM " + table
                    + " GROUP BY ALL");
            parameters.add(path.by());
            parameters.addAll(path.parameters());
        }
        try (Statement sql = duck.createStatement()) {
            sql.execute("CREATE TEMP TABLE " + rollup + " (" + PATH + " VARCHAR, " + VALUE + " VARCHAR, " + EVENTS
                    + " BIGINT, " + USERS + " BIGINT)");
        }
        try {
            // The JSON paths are bound, as a query's are; only the grammar's column names are in the text.
            try (PreparedStatement insert = duck.prepareStatement("INSERT INTO " + rollup + " "
                    + String.join(" UNION ALL ", selects))) {
                for (int i = 0; i < parameters.size(); i++) {
                    insert.setObject(i + 1, parameters.get(i));
                }
                insert.execute();
            }
            try (Statement sql = duck.createStatement()) {
                sql.execute("COPY (SELECT * FROM " + rollup + " ORDER BY " + PATH + ", " + VALUE + " NULLS LAST) TO '"
                        + DayExporter.literal(file) + "' (FORMAT parquet, COMPRESSION zstd)");
            }
        } finally {
            try (Statement sql = duck.createStatement()) {
                sql.execute("DROP TABLE IF EXISTS " + rollup);
            }
        }
    }
}
