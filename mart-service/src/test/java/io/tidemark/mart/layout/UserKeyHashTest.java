package io.tidemark.mart.layout;

import org.duckdb.DuckDBDriver;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Rollups written by one version are read together with rollups and event files of later ones: the
 * key must be MD5's, byte for byte, whatever DuckDB version computes it.
 */
class UserKeyHashTest {

    @Test
    void theKeyIsTheLowHalfOfTheMd5OfTheUserAsASignedLong() throws Exception {
        for (String user : new String[] {"u-1", "anon-7", "ünïcödé-user", ""}) {
            assertEquals(Md5UserKey.of(user), duckDb("SELECT " + UserKeyHash.of("'" + user + "'")), user);
        }
    }

    @Test
    void theKeyOfAnEventRowIsTheUserIdElseTheAnonymousId() throws Exception {
        String row = "(SELECT %s AS user_id, %s AS anonymous_id)";
        assertEquals(Md5UserKey.of("u-1"), duckDb("SELECT " + UserKeyHash.ofEventRow() + " FROM "
                + String.format(row, "'u-1'", "'anon-7'")));
        assertEquals(Md5UserKey.of("anon-7"), duckDb("SELECT " + UserKeyHash.ofEventRow() + " FROM "
                + String.format(row, "NULL::VARCHAR", "'anon-7'")));
        assertNull(duckDb("SELECT " + UserKeyHash.ofEventRow() + " FROM "
                + String.format(row, "NULL::VARCHAR", "NULL::VARCHAR")));
    }

    @Test
    void theKeyIsTheOneRollupsWrittenWithMd5NumberLowerHold() throws Exception {
        // Rollups written before the key was worked out by arithmetic are read together with new ones.
        String keys = "(SELECT 'user-' || i || CASE WHEN i % 3 = 0 THEN '-ünï' ELSE '' END AS u FROM range(20000) t(i))";
        assertEquals(0L, duckDb("SELECT count(*) FROM " + keys + " WHERE " + UserKeyHash.of("u")
                + " <> (md5_number_lower(u)::HUGEINT - 9223372036854775808)::BIGINT"));
    }

    @Test
    void theUsersOfRowsAreTheDistinctKeysOfTheirRowsAndNoneForRowsWithoutAUser() throws Exception {
        String rows = "(SELECT * FROM (VALUES ('u-1', NULL), ('u-1', 'anon-1'), (NULL, 'anon-7'), (NULL, 'anon-7'), "
                + "(NULL, NULL), ('ünïcödé-user', 'anon-7')) AS t(user_id, anonymous_id))";
        assertEquals(Set.of(Md5UserKey.of("u-1"), Md5UserKey.of("anon-7"), Md5UserKey.of("ünïcödé-user")),
                keys(UserKeyHash.ofUsersIn(rows)));
        assertEquals(keys("SELECT DISTINCT " + UserKeyHash.ofEventRow() + " FROM " + rows + " WHERE "
                + UserKeyHash.USER + " IS NOT NULL"), keys(UserKeyHash.ofUsersIn(rows)));
        assertEquals(3, keyList(UserKeyHash.ofUsersIn(rows)).size(), "each user once");
    }

    private static Set<Long> keys(String query) throws Exception {
        return new HashSet<>(keyList(query));
    }

    private static List<Long> keyList(String query) throws Exception {
        try (Connection duck = new DuckDBDriver().connect("jdbc:duckdb:", new Properties());
                Statement sql = duck.createStatement();
                ResultSet rows = sql.executeQuery(query)) {
            List<Long> keys = new ArrayList<>();
            while (rows.next()) {
                keys.add(rows.getLong(1));
            }
            return keys;
        }
    }

    private static Long duckDb(String query) throws Exception {
        // The driver itself, not DriverManager: Quarkus tests of the same JVM run on another class loader.
        try (Connection duck = new DuckDBDriver().connect("jdbc:duckdb:", new Properties());
                Statement sql = duck.createStatement();
                ResultSet rows = sql.executeQuery(query)) {
            rows.next();
            long value = rows.getLong(1);
            return rows.wasNull() ? null : value;
        }
    }
}
