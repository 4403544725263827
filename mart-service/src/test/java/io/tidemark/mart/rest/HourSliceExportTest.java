package io.tidemark.mart.rest;

import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.tidemark.mart.export.LatenessRollup;
import io.tidemark.mart.layout.MartLayout;
import io.tidemark.mart.model.HourRange;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static io.tidemark.mart.rest.StoredEvents.TOKEN;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A day larger than one target file is written as hour slices, and a late event rewrites only the
 * slice it falls in, read back from the real Cassandra of the local stack; the day's numbers stay
 * those of all its rows.
 */
@QuarkusTest
@TestProfile(HourSliceExportTest.SmallFiles.class)
@QuarkusTestResource(TempMartRoot.class)
class HourSliceExportTest {

    private static final List<Integer> EVERY_HOUR = IntStream.range(0, 24).boxed().toList();
    private static final int PER_HOUR = 150;

    /** Files of 32 KiB: a day of 3,600 small events (about 150 KiB) needs several. */
    public static class SmallFiles implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tidemark.mart.export.target-file-bytes", "32768");
        }
    }

    @Inject
    QuarkusCqlSession session;

    @ConfigProperty(name = "tidemark.mart.export.root")
    Path root;

    @Test
    void aLateEventRewritesOnlyTheHourSliceItFallsIn() throws Exception {
        StoredEvents events = new StoredEvents(session);
        LocalDate day = LocalDate.parse("2026-09-10");
        events.storeInHours(day, EVERY_HOUR, PER_HOUR, "u");
        JsonPath first = events.exportSummary();
        assertEquals("whole day", first.getString("exported[0].reread"));
        assertEquals(24 * PER_HOUR, first.getLong("exported[0].rowsRead"));
        Map<String, Object> before = partFiles(events, day);
        List<HourRange> slices = slices(before.keySet());
        assertTrue(slices.size() >= 3, "a day of several target files is cut into slices: " + before.keySet());

        // A phone that was offline sends one event of 13:20 days later.
        events.storeInHours(day, List.of(13), 1, "late");
        HourRange touched = slices.stream().filter(slice -> slice.from() <= 13 && 13 < slice.to()).findFirst().orElseThrow();
        JsonPath second = events.exportSummary();
        assertEquals("hours " + touched, second.getString("exported[0].reread"));
        assertEquals((touched.to() - touched.from()) * PER_HOUR + 1, second.getLong("exported[0].rowsRead"),
                "only the touched slice's rows are read from Cassandra");
        assertEquals(24 * PER_HOUR + 1, second.getLong("exported[0].rows"));

        Map<String, Object> after = partFiles(events, day);
        assertEquals(slices, slices(after.keySet()), "the day keeps its slices");
        for (Map.Entry<String, Object> file : after.entrySet()) {
            boolean inTouched = MartLayout.hoursOf(file.getKey()).orElseThrow().equals(touched);
            if (inTouched) {
                assertNotEquals(before.get(file.getKey()), file.getValue(), file.getKey() + " is written anew");
            } else {
                assertEquals(before.get(file.getKey()), file.getValue(), file.getKey() + " is the same file as before");
            }
        }
        assertDayHolds(events, day, 24 * PER_HOUR + 1);

        // The next cycle finds nothing new.
        assertEquals(0, events.exportSummary().getInt("exported.size()"));
    }

    @Test
    void aChangeWhoseHoursAreNotKnownRewritesTheWholeDay() throws Exception {
        StoredEvents events = new StoredEvents(session);
        LocalDate day = LocalDate.parse("2026-09-11");
        events.storeInHours(day, EVERY_HOUR, PER_HOUR, "u");
        events.exportSummary();
        Map<String, Object> before = partFiles(events, day);

        // A dedup host of the version before hour counts marks the day changed, counting no hour.
        events.store("2026-09-11T05:30:00Z", "Tick", "old-host-user", null);
        JsonPath second = events.exportSummary();
        assertEquals("whole day", second.getString("exported[0].reread"));
        assertEquals(24 * PER_HOUR + 1, second.getLong("exported[0].rowsRead"));
        partFiles(events, day).forEach((name, identity) -> assertNotEquals(before.get(name), identity, name));
        assertDayHolds(events, day, 24 * PER_HOUR + 1);

        // Hours counted again from here: a later late event rewrites one slice.
        events.storeInHours(day, List.of(22), 1, "late");
        JsonPath third = events.exportSummary();
        assertTrue(third.getString("exported[0].reread").startsWith("hours "), third.prettify());
        assertDayHolds(events, day, 24 * PER_HOUR + 2);
    }

    @Test
    void filesOtherThanThoseTheExportRecordedAreNeverKept() throws Exception {
        StoredEvents events = new StoredEvents(session);
        LocalDate day = LocalDate.parse("2026-09-13");
        events.storeInHours(day, EVERY_HOUR, PER_HOUR, "u");
        events.exportSummary();
        // The first slice's file as an older export left it (a disk restored from a backup): fewer rows.
        Path first = dayDir(events, day).resolve(partFiles(events, day).keySet().iterator().next());
        Path older = first.resolveSibling("older.tmp");
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement sql = duck.createStatement()) {
            sql.execute("COPY (SELECT * FROM read_parquet('" + first + "') LIMIT 10) TO '" + older + "' (FORMAT parquet)");
        }
        Files.move(older, first, java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        events.storeInHours(day, List.of(23), 1, "late");
        JsonPath second = events.exportSummary();
        assertEquals("whole day", second.getString("exported[0].reread"), "the older file is not kept");
        assertDayHolds(events, day, 24 * PER_HOUR + 1);
    }

    @Test
    void lateEventsInSeveralHoursRewriteEachTouchedSliceOnce() throws Exception {
        StoredEvents events = new StoredEvents(session);
        LocalDate day = LocalDate.parse("2026-09-12");
        events.storeInHours(day, EVERY_HOUR, PER_HOUR, "u");
        events.exportSummary();
        List<HourRange> slices = slices(partFiles(events, day).keySet());
        HourRange firstSlice = slices.get(0);
        HourRange lastSlice = slices.get(slices.size() - 1);

        // One batch over two hours (one mark counting both), and another mark in the same first hour.
        events.storeInHours(day, List.of(firstSlice.from(), lastSlice.to() - 1), 2, "late-a");
        events.storeInHours(day, List.of(firstSlice.from()), 1, "late-b");
        JsonPath second = events.exportSummary();
        assertEquals("hours " + firstSlice + ", " + lastSlice, second.getString("exported[0].reread"));
        assertDayHolds(events, day, 24 * PER_HOUR + 5);
    }

    @Test
    void rollupsOfTheVersionBeforeAreMadeWholeByTheNextExport() throws Exception {
        StoredEvents events = new StoredEvents(session);
        LocalDate day = LocalDate.parse("2026-09-14");
        events.storeInHours(day, EVERY_HOUR, PER_HOUR, "u");
        events.exportSummary();
        // The rollup as the version before hours wrote it: (bound, events) only.
        Path rollup = dayDir(events, day).resolve(MartLayout.LATENESS_ROLLUP);
        Path older = rollup.resolveSibling("older.tmp");
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement sql = duck.createStatement()) {
            sql.execute("COPY (SELECT " + LatenessRollup.BOUND + ", sum(" + LatenessRollup.EVENTS + ")::BIGINT AS "
                    + LatenessRollup.EVENTS + " FROM read_parquet('" + rollup + "') GROUP BY ALL) TO '" + older
                    + "' (FORMAT parquet)");
        }
        Files.move(older, rollup, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        // Nor did it keep the breakdown's state.
        Files.delete(dayDir(events, day).resolve(MartLayout.BREAKDOWN_HOURS));
        Files.delete(dayDir(events, day).resolve(MartLayout.BREAKDOWN_USERS));
        // The day before, exported by the new version: the lateness API reads both kinds of rollup together.
        LocalDate dayBefore = day.minusDays(1);
        events.storeInHours(dayBefore, List.of(3), 2, "before");
        events.exportSummary();
        given().auth().oauth2(TOKEN).queryParam("source", events.source)
                .queryParam("from", dayBefore.toString()).queryParam("to", day.toString())
                .when().get("/api/v1/metrics/lateness")
                .then().statusCode(200)
                .body("days[0].events", equalTo(2)).body("days[1].events", equalTo(24 * PER_HOUR));

        events.storeInHours(day, List.of(7), 1, "late");
        JsonPath second = events.exportSummary();
        assertTrue(second.getString("exported[0].reread").startsWith("hours "), second.prettify());
        assertDayHolds(events, day, 24 * PER_HOUR + 1);
    }

    /** The day's part files by name, each with its file identity (device and inode): a kept file keeps its identity. */
    private Map<String, Object> partFiles(StoredEvents events, LocalDate day) throws Exception {
        Map<String, Object> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(dayDir(events, day))) {
            for (Path file : list.filter(f -> MartLayout.isPart(f.getFileName().toString())).toList()) {
                files.put(file.getFileName().toString(), Files.readAttributes(file, BasicFileAttributes.class).fileKey());
            }
        }
        return files;
    }

    private static List<HourRange> slices(Collection<String> names) {
        return names.stream().map(name -> MartLayout.hoursOf(name).orElseThrow(() -> new AssertionError(name)))
                .distinct().sorted(Comparator.comparingInt(HourRange::from)).toList();
    }

    private Path dayDir(StoredEvents events, LocalDate day) {
        return root.resolve("source=" + events.source).resolve("event_date=" + day);
    }

    /**
     * The day's files, read by DuckDB as any reader of the Hive layout would, hold every row once, each
     * file in event-time order and within its slice; the API's daily numbers and the user rollup agree.
     */
    private void assertDayHolds(StoredEvents events, LocalDate day, long rows) throws Exception {
        Path dir = dayDir(events, day);
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement sql = duck.createStatement()) {
            try (ResultSet all = sql.executeQuery("SELECT count(*), count(DISTINCT message_id), count(DISTINCT user_id) "
                    + "FROM read_parquet('" + dir.resolve("*.parquet") + "')")) {
                all.next();
                assertEquals(rows, all.getLong(1));
                assertEquals(rows, all.getLong(2), "no row twice");
                assertEquals(rows, all.getLong(3));
            }
            try (Stream<Path> list = Files.list(dir)) {
                for (Path file : list.filter(f -> MartLayout.isPart(f.getFileName().toString())).toList()) {
                    HourRange slice = MartLayout.hoursOf(file.getFileName().toString()).orElseThrow();
                    try (ResultSet order = sql.executeQuery("SELECT count(*) FILTER (WHERE event_time < lag_time), "
                            + "count(*) FILTER (WHERE epoch(event_time) < " + slice.start(day).getEpochSecond()
                            + " OR epoch(event_time) >= " + slice.end(day).getEpochSecond() + ") FROM (SELECT event_time, "
                            + "lag(event_time) OVER (ORDER BY file_row_number) AS lag_time FROM read_parquet('" + file
                            + "', file_row_number = true))")) {
                        order.next();
                        assertEquals(0, order.getLong(1), file + " is in event-time order");
                        assertEquals(0, order.getLong(2), file + " holds only its slice");
                    }
                }
            }
            try (ResultSet users = sql.executeQuery("SELECT count(*) FROM read_parquet('"
                    + dir.resolve(MartLayout.USERS_ROLLUP) + "')")) {
                users.next();
                assertEquals(rows, users.getLong(1), "the user rollup is of the whole day");
            }
            // The lateness rollup is the day's rows counted by UTC hour and delay bound, whichever hours were read again.
            String rollup = "SELECT " + LatenessRollup.HOUR + " AS hour, " + LatenessRollup.BOUND + " AS bound, "
                    + LatenessRollup.EVENTS + " AS events FROM read_parquet('" + dir.resolve(MartLayout.LATENESS_ROLLUP) + "')";
            String counted = "SELECT floor((epoch(event_time) - " + HourRange.WHOLE_DAY.start(day).getEpochSecond()
                    + ") / 3600)::INTEGER AS hour, " + LatenessRollup.boundOfEventRow() + " AS bound, count(*) AS events "
                    + "FROM read_parquet('" + dir.resolve("*.parquet") + "') GROUP BY ALL";
            try (ResultSet differ = sql.executeQuery("SELECT (SELECT count(*) FROM ((" + rollup + ") EXCEPT ALL (" + counted
                    + "))), (SELECT count(*) FROM ((" + counted + ") EXCEPT ALL (" + rollup + "))), (SELECT sum(events) FROM ("
                    + rollup + "))")) {
                differ.next();
                assertEquals(0, differ.getLong(1), "no row of the lateness rollup is not the day's");
                assertEquals(0, differ.getLong(2), "no count of the day is missing from the lateness rollup");
                assertEquals(rows, differ.getLong(3));
            }
            // So is the breakdown rollup of the test profile's paths, and the day of slices keeps what it is made of.
            String breakdowns = "SELECT path, value, events, users FROM read_parquet('"
                    + dir.resolve(MartLayout.BREAKDOWN_ROLLUP) + "')";
            String valued = "SELECT 'properties.plan' AS path, json_extract_string(properties, '$.plan') AS value, "
                    + "count(*) AS events, count(DISTINCT coalesce(user_id, anonymous_id)) AS users FROM read_parquet('"
                    + dir.resolve("*.parquet") + "') GROUP BY ALL UNION ALL SELECT 'context.os.name', "
                    + "json_extract_string(context, '$.os.name'), count(*), count(DISTINCT coalesce(user_id, anonymous_id)) "
                    + "FROM read_parquet('" + dir.resolve("*.parquet") + "') GROUP BY ALL";
            try (ResultSet differ = sql.executeQuery("SELECT (SELECT count(*) FROM ((" + breakdowns + ") EXCEPT ALL ("
                    + valued + "))), (SELECT count(*) FROM ((" + valued + ") EXCEPT ALL (" + breakdowns + "))), (SELECT "
                    + "count(*) FROM (" + breakdowns + ") WHERE value = 'p1')")) {
                differ.next();
                assertEquals(0, differ.getLong(1), "no row of the breakdown rollup is not the day's");
                assertEquals(0, differ.getLong(2), "no value of the day is missing from the breakdown rollup");
                assertEquals(1, differ.getLong(3), "the day's plans are in the breakdown rollup");
            }
            assertTrue(Files.isRegularFile(dir.resolve(MartLayout.BREAKDOWN_HOURS)));
            assertTrue(Files.isRegularFile(dir.resolve(MartLayout.BREAKDOWN_USERS)));
        }
        given().auth().oauth2(TOKEN).queryParam("source", events.source)
                .queryParam("from", day.toString()).queryParam("to", day.toString())
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(200)
                .body("days[0].events", equalTo((int) rows)).body("days[0].users", equalTo((int) rows));
    }
}
