package io.tidemark.mart.export;

import io.tidemark.mart.layout.MartLayout;
import io.tidemark.mart.layout.UserKeyHash;
import io.tidemark.mart.model.HourRange;
import io.tidemark.mart.query.BreakdownPath;
import org.duckdb.DuckDBConnection;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The per-day breakdown rollup written beside a day's events: for each configured {@code by=} path,
 * one row per value of the day, (path, value, events, users), and one with value NULL for the events
 * without one (missing). Users are distinct by the user key's hash ({@link UserKeyHash}), as the user
 * rollups count them. A path is in the rollup of every day exported while it was configured and
 * in none other, so "the day's rollup has rows of this path" is exactly "the rollup covers it".
 *
 * <p>A day cut into hour slices also keeps what the rollup is made of: its events by (path, value,
 * UTC hour) and its distinct (path, value, user) keys. After a late event only the slices read again
 * are counted from rows: events add up by hour, and users are the union of the keys in place and those
 * of the rows read, since dedup only ever adds rows to a day. So a late slice no longer extracts the
 * JSON values of the whole day's files. Smaller days keep no such state: one file is re-read whole
 * anyway, and the keys of a small day would weigh as much as its events.
 */
public final class BreakdownRollup {

    /** The {@code by=} text of the row's path, as the caller writes it. */
    public static final String PATH = "path";
    /** The value; NULL for the day's events without one. */
    public static final String VALUE = "value";
    public static final String EVENTS = "events";
    /** Distinct users of the day with the value. */
    public static final String USERS = "users";

    private static final String HOUR = LatenessRollup.HOUR;
    private static final String USER = UserKeyHash.COLUMN;

    private BreakdownRollup() {
    }

    /**
     * Writes the rollup of {@code rows} (the whole day) for {@code paths} into {@code staging}, and
     * with {@code sliced} the state a late slice merges into; nothing when no path is configured.
     */
    static void write(DuckDBConnection duck, String rows, List<BreakdownPath> paths, Path staging, boolean sliced)
            throws SQLException {
        make(duck, rows, paths, null, null, staging, sliced);
    }

    /**
     * Whether the state in {@code dayDir} can take a late slice: it is there, and of exactly the
     * configured paths (a path added since was never counted for the kept hours; one removed must go).
     */
    static boolean canMerge(DuckDBConnection duck, Path dayDir, List<BreakdownPath> paths) throws SQLException {
        Path hours = dayDir.resolve(MartLayout.BREAKDOWN_HOURS);
        if (paths.isEmpty() || !Files.isRegularFile(hours) || !Files.isRegularFile(dayDir.resolve(MartLayout.BREAKDOWN_USERS))) {
            return false;
        }
        Set<String> kept = new HashSet<>();
        try (Statement sql = duck.createStatement(); ResultSet rows = sql.executeQuery("SELECT DISTINCT " + PATH
                + " FROM read_parquet('" + DayExporter.literal(hours) + "')")) {
            while (rows.next()) {
                kept.add(rows.getString(1));
            }
        }
        return kept.equals(new HashSet<>(paths.stream().map(BreakdownPath::by).toList()));
    }

    /**
     * Writes the rollup and state of a day whose hour slices {@code reread} were read again into
     * {@code rowsRead}, from the state in {@code dayDir} for the other hours ({@link #canMerge} said so).
     */
    static void merge(DuckDBConnection duck, String rowsRead, List<HourRange> reread, Path dayDir,
            List<BreakdownPath> paths, Path staging) throws SQLException {
        make(duck, rowsRead, paths, "SELECT " + PATH + ", " + VALUE + ", " + HOUR + ", " + EVENTS + " FROM read_parquet('"
                + DayExporter.literal(dayDir.resolve(MartLayout.BREAKDOWN_HOURS)) + "') WHERE "
                + LatenessRollup.hoursOutside(reread),
                "SELECT " + PATH + ", " + VALUE + ", " + USER + " FROM read_parquet('"
                        + DayExporter.literal(dayDir.resolve(MartLayout.BREAKDOWN_USERS)) + "')", staging, true);
    }

    /**
     * One pass over {@code rows} extracts each path's values into keys (path, value, hour, user,
     * events); events by hour and distinct users come from the keys, plus the kept hours and users of
     * the state in place when merging ({@code keptHours}, {@code keptUsers}: SELECTs, or null).
     */
    private static void make(DuckDBConnection duck, String rows, List<BreakdownPath> paths, String keptHours,
            String keptUsers, Path staging, boolean sliced) throws SQLException {
        if (paths.isEmpty()) {
            return;
        }
        String id = UUID.randomUUID().toString().replace("-", "");
        String keys = "breakdown_keys_" + id;
        String hours = "breakdown_hours_" + id;
        String users = "breakdown_users_" + id;
        List<String> selects = new ArrayList<>();
        List<Object> parameters = new ArrayList<>();
        for (BreakdownPath path : paths) {
            selects.add("SELECT ?::VARCHAR AS " + PATH + ", " + path.expression() + " AS " + VALUE + ", " + HOUR + ", "
                    + USER + ", count(*)::BIGINT AS " + EVENTS + " FROM keyed GROUP BY ALL");
            parameters.add(path.by());
            parameters.addAll(path.parameters());
        }
        // Each row's hour and user hash once, not once per path: the MD5 was most of a merge's time.
        String keyed = "WITH keyed AS MATERIALIZED (SELECT " + String.join(", ", BreakdownPath.COLUMNS) + ", "
                + LatenessRollup.hourOfEventRow() + " AS " + HOUR + ", " + UserKeyHash.ofEventRow() + " AS " + USER
                + " FROM " + rows + ") ";
        try {
            // The JSON paths are bound, as a query's are; only the grammar's column names are in the text.
            try (PreparedStatement insert = duck.prepareStatement("CREATE TEMP TABLE " + keys + " AS " + keyed
                    + String.join(" UNION ALL ", selects))) {
                for (int i = 0; i < parameters.size(); i++) {
                    insert.setObject(i + 1, parameters.get(i));
                }
                insert.execute();
            }
            try (Statement sql = duck.createStatement()) {
                sql.execute("CREATE TEMP TABLE " + hours + " AS SELECT " + PATH + ", " + VALUE + ", " + HOUR + ", sum("
                        + EVENTS + ")::BIGINT AS " + EVENTS + " FROM " + keys + " GROUP BY ALL"
                        + (keptHours == null ? "" : " UNION ALL " + keptHours));
                sql.execute("CREATE TEMP TABLE " + users + " AS SELECT DISTINCT " + PATH + ", " + VALUE + ", " + USER + " FROM "
                        + keys + " WHERE " + USER + " IS NOT NULL" + (keptUsers == null ? "" : " UNION " + keptUsers));
                copy(sql, "SELECT e." + PATH + ", e." + VALUE + ", e." + EVENTS + ", coalesce(u." + USERS + ", 0)::BIGINT AS "
                        + USERS + " FROM (SELECT " + PATH + ", " + VALUE + ", sum(" + EVENTS + ")::BIGINT AS " + EVENTS
                        + " FROM " + hours + " GROUP BY ALL) e LEFT JOIN (SELECT " + PATH + ", " + VALUE + ", count(*) AS "
                        + USERS + " FROM " + users + " GROUP BY ALL) u ON e." + PATH + " = u." + PATH + " AND e." + VALUE
                        + " IS NOT DISTINCT FROM u." + VALUE + " ORDER BY " + PATH + ", " + VALUE + " NULLS LAST",
                        staging.resolve(MartLayout.BREAKDOWN_ROLLUP));
                if (sliced) {
                    copy(sql, "SELECT * FROM " + hours + " ORDER BY " + PATH + ", " + VALUE + " NULLS LAST, " + HOUR,
                            staging.resolve(MartLayout.BREAKDOWN_HOURS));
                    // Unsorted: its hashes are random, so an order would cost a sort and save no bytes.
                    copy(sql, "SELECT * FROM " + users, staging.resolve(MartLayout.BREAKDOWN_USERS));
                }
            }
        } finally {
            try (Statement sql = duck.createStatement()) {
                for (String table : List.of(keys, hours, users)) {
                    sql.execute("DROP TABLE IF EXISTS " + table);
                }
            }
        }
    }

    private static void copy(Statement sql, String select, Path file) throws SQLException {
        sql.execute("COPY (" + select + ") TO '" + DayExporter.literal(file) + "' (FORMAT parquet, COMPRESSION zstd)");
    }
}
