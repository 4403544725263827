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
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The per-day breakdown rollup written beside a day's events: for each configured {@code by=} path,
 * one row per value of the day, (path, value, events, users), and one with value NULL for the events
 * without one (missing). Users are distinct by the user key (userId, else anonymousId); where the
 * rollup is kept as state, by its hash ({@link UserKeyHash}), as the user rollups count them, which
 * lowers a count only where two users' hashes collide. A path is in the rollup of every day exported
 * while it was configured and in none other, so "the day's rollup has rows of this path" is exactly
 * "the rollup covers it".
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
    static void write(DuckDBConnection duck, RunningStatements statements, String rows, List<BreakdownPath> paths,
            Path staging, boolean sliced)
            throws SQLException {
        make(duck, statements, rows, paths, null, null, staging, sliced);
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
    static void merge(DuckDBConnection duck, RunningStatements statements, String rowsRead, List<HourRange> reread,
            Path dayDir, List<BreakdownPath> paths, Path staging) throws SQLException {
        make(duck, statements, rowsRead, paths, "SELECT " + PATH + ", " + VALUE + ", " + HOUR + ", " + EVENTS
                + " FROM read_parquet('" + DayExporter.literal(dayDir.resolve(MartLayout.BREAKDOWN_HOURS)) + "') WHERE "
                + LatenessRollup.hoursOutside(reread),
                "SELECT " + PATH + ", " + VALUE + ", " + USER + " FROM read_parquet('"
                        + DayExporter.literal(dayDir.resolve(MartLayout.BREAKDOWN_USERS)) + "')", staging, true);
    }

    /**
     * One pass over {@code rows} extracts each path's values into keys (path, value, hour, user,
     * events); events by hour and distinct users come from the keys, plus the kept hours and users of
     * the state in place when merging ({@code keptHours}, {@code keptUsers}: SELECTs, or null). A day
     * that keeps no state is counted straight from the values ({@link #counted}), without the keys by hour.
     */
    private static void make(DuckDBConnection duck, RunningStatements statements, String rows, List<BreakdownPath> paths,
            String keptHours, String keptUsers, Path staging, boolean sliced) throws SQLException {
        if (paths.isEmpty()) {
            return;
        }
        boolean byHour = sliced || keptHours != null;
        List<Object> parameters = new ArrayList<>();
        Keyed keyed = keyed(rows, paths, byHour, parameters);
        if (byHour) {
            makeByHour(duck, statements, keyed.with() + valuesOfPaths(keyed, paths, parameters), parameters, keptHours,
                    keptUsers, staging, sliced);
            return;
        }
        try (PreparedStatement rollup = statements.prepare(duck, "COPY (" + keyed.with() + counted(keyed, paths, parameters)
                + ") TO '" + DayExporter.literal(staging.resolve(MartLayout.BREAKDOWN_ROLLUP))
                + "' (FORMAT parquet, COMPRESSION zstd)")) {
            bind(rollup, parameters).execute();
        }
    }

    /** A WITH clause naming {@code keyed}, and each path's value as an expression over it, in the order of the paths. */
    private record Keyed(String with, List<String> values) {
    }

    /**
     * {@code keyed}: each row's user (with {@code byHour} its hash and the hour), the plain columns of
     * the paths, and each JSON column's values of its paths, parsed once for all of them. The JSON paths
     * are bound, as a query's are, and added to {@code parameters}; only the grammar's column names are
     * in the text.
     */
    private static Keyed keyed(String rows, List<BreakdownPath> paths, boolean byHour, List<Object> parameters) {
        Map<String, List<BreakdownPath>> byJsonColumn = new LinkedHashMap<>();
        paths.stream().filter(BreakdownPath::inJson)
                .forEach(path -> byJsonColumn.computeIfAbsent(path.column(), column -> new ArrayList<>()).add(path));
        List<String> columns = new ArrayList<>();
        // The state keeps users by their hash, as the user rollups do; a day without state counts the user
        // keys themselves, with no hash a row (DuckDB's distinct over the strings was no slower).
        columns.add((byHour ? UserKeyHash.ofEventRow() : UserKeyHash.USER) + " AS " + USER);
        if (byHour) {
            columns.add(LatenessRollup.hourOfEventRow() + " AS " + HOUR);
        }
        paths.stream().filter(path -> !path.inJson()).map(BreakdownPath::column).distinct().forEach(columns::add);
        byJsonColumn.forEach((column, inColumn) -> {
            columns.add(BreakdownPath.valuesOf(column, "[" + String.join(", ", Collections.nCopies(inColumn.size(), "?")) + "]")
                    + " AS " + valuesColumn(column));
            inColumn.forEach(path -> parameters.add(path.jsonPath()));
        });
        List<String> values = paths.stream().map(path -> path.inJson()
                ? valuesColumn(path.column()) + "[" + (byJsonColumn.get(path.column()).indexOf(path) + 1) + "]"
                : path.column()).toList();
        return new Keyed("WITH keyed AS MATERIALIZED (SELECT " + String.join(", ", columns) + " FROM " + rows + ") ", values);
    }

    /**
     * A WITH clause naming {@code values_of_paths}, following {@code keyed}'s: one row per row and path,
     * (path, value, user, hour); each path's {@code by=} text is bound and added to {@code parameters}.
     */
    private static String valuesOfPaths(Keyed keyed, List<BreakdownPath> paths, List<Object> parameters) {
        List<String> selects = new ArrayList<>();
        for (int i = 0; i < paths.size(); i++) {
            selects.add("SELECT ?::VARCHAR AS " + PATH + ", " + keyed.values().get(i) + " AS " + VALUE + ", " + USER
                    + ", " + HOUR + " FROM keyed");
            parameters.add(paths.get(i).by());
        }
        return ", values_of_paths AS (" + String.join(" UNION ALL ", selects) + ") ";
    }

    /**
     * The rollup of a day without state, counted from {@code keyed} in one aggregate with a grouping set
     * per path: DuckDB groups the rows once for all paths, which took a quarter less time than grouping
     * the rows repeated once per path (30 against 39 ms for a day of the bench, one thread). A row of
     * a path's set is told by {@code GROUPING} being 0 for that path's column only, so a path's NULL,
     * its events without a value, stays apart from the other paths' rows.
     */
    private static String counted(Keyed keyed, List<BreakdownPath> paths, List<Object> parameters) {
        List<String> values = new ArrayList<>();
        List<String> sets = new ArrayList<>();
        StringBuilder path = new StringBuilder("CASE");
        StringBuilder value = new StringBuilder("CASE");
        List<String> groupings = new ArrayList<>();
        for (int i = 0; i < paths.size(); i++) {
            values.add(keyed.values().get(i) + " AS v" + i);
            sets.add("(v" + i + ")");
            groupings.add("v" + i + ", GROUPING(v" + i + ") AS g" + i);
            path.append(" WHEN g").append(i).append(" = 0 THEN ?::VARCHAR");
            value.append(" WHEN g").append(i).append(" = 0 THEN v").append(i);
            parameters.add(paths.get(i).by());
        }
        return "SELECT " + path + " END AS " + PATH + ", " + value + " END AS " + VALUE + ", " + EVENTS + ", " + USERS
                + " FROM (SELECT " + String.join(", ", groupings) + ", count(*)::BIGINT AS " + EVENTS + ", count(DISTINCT "
                + USER + ")::BIGINT AS " + USERS + " FROM (SELECT " + USER + ", " + String.join(", ", values)
                + " FROM keyed) GROUP BY GROUPING SETS (" + String.join(", ", sets) + ")) ORDER BY " + PATH + ", " + VALUE
                + " NULLS LAST";
    }

    private static String valuesColumn(String column) {
        return column + "_values";
    }

    /**
     * The keys by hour, the rollup from them, and with {@code sliced} the state a late slice merges into,
     * through temp tables of this call's own that are dropped after it.
     */
    private static void makeByHour(DuckDBConnection duck, RunningStatements statements, String values,
            List<Object> parameters, String keptHours, String keptUsers, Path staging, boolean sliced) throws SQLException {
        String id = UUID.randomUUID().toString().replace("-", "");
        String keys = "breakdown_keys_" + id;
        String hours = "breakdown_hours_" + id;
        String users = "breakdown_users_" + id;
        try {
            writeByHour(duck, statements, values, parameters, keys, hours, users, keptHours, keptUsers, staging, sliced);
        } finally {
            // Not one of the statements: a cancelled rollup still drops its tables.
            try (Statement sql = duck.createStatement()) {
                for (String table : List.of(keys, hours, users)) {
                    sql.execute("DROP TABLE IF EXISTS " + table);
                }
            }
        }
    }

    private static void writeByHour(DuckDBConnection duck, RunningStatements statements, String values,
            List<Object> parameters, String keys, String hours, String users, String keptHours, String keptUsers,
            Path staging, boolean sliced) throws SQLException {
        try (PreparedStatement insert = statements.prepare(duck, "CREATE TEMP TABLE " + keys + " AS " + values + "SELECT "
                + PATH + ", " + VALUE + ", " + HOUR + ", " + USER + ", count(*)::BIGINT AS " + EVENTS
                + " FROM values_of_paths GROUP BY ALL")) {
            bind(insert, parameters).execute();
        }
        try (Statement sql = statements.create(duck)) {
            sql.execute("CREATE TEMP TABLE " + hours + " AS SELECT " + PATH + ", " + VALUE + ", " + HOUR + ", sum("
                    + EVENTS + ")::BIGINT AS " + EVENTS + " FROM " + keys + " GROUP BY ALL"
                    + (keptHours == null ? "" : " UNION ALL " + keptHours));
            sql.execute("CREATE TEMP TABLE " + users + " AS SELECT DISTINCT " + PATH + ", " + VALUE + ", " + USER
                    + " FROM " + keys + " WHERE " + USER + " IS NOT NULL" + (keptUsers == null ? "" : " UNION " + keptUsers));
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
    }

    private static PreparedStatement bind(PreparedStatement statement, List<Object> parameters) throws SQLException {
        for (int i = 0; i < parameters.size(); i++) {
            statement.setObject(i + 1, parameters.get(i));
        }
        return statement;
    }

    private static void copy(Statement sql, String select, Path file) throws SQLException {
        sql.execute("COPY (" + select + ") TO '" + DayExporter.literal(file) + "' (FORMAT parquet, COMPRESSION zstd)");
    }
}
