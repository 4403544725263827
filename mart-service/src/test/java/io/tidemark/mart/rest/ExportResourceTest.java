package io.tidemark.mart.rest;

import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.tidemark.mart.export.ExportCycle;
import io.tidemark.mart.layout.MartLayout;
import io.tidemark.mart.layout.MartSwapLock;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;

import static io.restassured.RestAssured.given;
import static io.tidemark.mart.rest.StoredEvents.TOKEN;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The export from the real Cassandra of the local stack into Parquet files under a temp root. */
@QuarkusTest
@QuarkusTestResource(TempMartRoot.class)
class ExportResourceTest {

    @Inject
    QuarkusCqlSession session;

    @Inject
    MartSwapLock swapLock;

    @Inject
    ExportCycle cycle;

    @ConfigProperty(name = "tidemark.mart.export.root")
    Path root;

    @Test
    void aDayIsReadFromEveryBucketOfItsHighestRecordedLayoutWithTheRowsOfEarlierLayouts() throws Exception {
        StoredEvents events = new StoredEvents(session);
        // Written before the day had a layout (the original 8 buckets), then after it grew twice, the
        // second time to four times the requests the driver keeps in flight on a connection (1,024).
        events.storeMany("2026-10-20T06:00:00Z", 100);
        events.storeInLayout(Instant.parse("2026-10-20T12:00:00Z"), 300, 1, 64);
        events.storeInLayout(Instant.parse("2026-10-20T18:00:00Z"), 300, 2, 4_096);
        assertEquals(1, events.export());

        Path file = root.resolve("source=" + events.source).resolve("event_date=2026-10-20").resolve("part-00000.parquet");
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement sql = duck.createStatement();
                ResultSet counts = sql.executeQuery("SELECT user_id, count(*) FROM read_parquet('" + file + "') "
                        + "GROUP BY user_id ORDER BY user_id")) {
            List<String> byUser = new ArrayList<>();
            while (counts.next()) {
                byUser.add(counts.getString(1) + "=" + counts.getLong(2));
            }
            assertEquals(List.of("layout-1=300", "layout-2=300", "ticker=100"), byUser);
        }
    }

    @Test
    void eachDayBecomesOneParquetFileSortedByEventTimeInHiveLayout() throws Exception {
        StoredEvents events = new StoredEvents(session);
        // Stored in reverse order and spread over the 8 buckets; the test profile writes 2048 rows per row group.
        events.storeMany("2026-11-01T06:00:00Z", 2100);
        events.store("2026-11-02T00:00:00Z", "Viewed", "u-1", null);
        assertEquals(2, events.export());

        Path day = root.resolve("source=" + events.source).resolve("event_date=2026-11-01");
        try (var files = Files.list(day)) {
            // One event file, and beside it the day's breakdown, user and lateness rollups (not *.parquet, so no
            // event glob reads them).
            assertEquals(List.of(MartLayout.BREAKDOWN_ROLLUP, MartLayout.USERS_ROLLUP, MartLayout.LATENESS_ROLLUP,
                    "part-00000.parquet"),
                    files.map(f -> f.getFileName().toString()).sorted().toList());
        }
        Path file = day.resolve("part-00000.parquet");
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement sql = duck.createStatement()) {
            sql.execute("SET TimeZone = 'UTC'");
            List<Instant> times = new ArrayList<>();
            try (ResultSet rows = sql.executeQuery("SELECT epoch_ms(event_time) FROM read_parquet('" + file + "')")) {
                while (rows.next()) {
                    times.add(Instant.ofEpochMilli(rows.getLong(1)));
                }
            }
            assertEquals(2100, times.size());
            assertEquals(times.stream().sorted().toList(), times, "rows in file order are in event-time order");
            assertEquals(Instant.parse("2026-11-01T06:00:00Z"), times.get(0));
            // Row groups in event-time order with min/max statistics that readers can skip by.
            List<String> groups = new ArrayList<>();
            try (ResultSet rows = sql.executeQuery("SELECT row_group_id, row_group_num_rows, stats_min, stats_max "
                    + "FROM parquet_metadata('" + file + "') WHERE path_in_schema = 'event_time' ORDER BY row_group_id")) {
                while (rows.next()) {
                    groups.add(rows.getLong(2) + " rows " + rows.getString(3) + " .. " + rows.getString(4));
                }
            }
            assertEquals(2, groups.size(), groups.toString());
            // 06:00:00 + 2047 s = 06:34:07, the last row of the first group; the second starts a second later.
            assertEquals("2048 rows 2026-11-01 06:00:00+00 .. 2026-11-01 06:34:07+00", groups.get(0));
            assertEquals("52 rows 2026-11-01 06:34:08+00 .. 2026-11-01 06:34:59+00", groups.get(1));
        }
    }

    @Test
    void everyColumnIsWrittenAsStoredWhetherItsTextIsAsciiOrNot() throws Exception {
        StoredEvents events = new StoredEvents(session);
        Instant at = Instant.parse("2026-11-03T08:00:00.123Z");
        events.storeEveryColumn(at, "m-ascii", "plain", Set.of("replayed", "clock-skew"));
        events.storeEveryColumn(at.plusSeconds(1), "m-other", "Zoë 東京 🚀", Set.of());
        assertEquals(1, events.export());

        Path file = root.resolve("source=" + events.source).resolve("event_date=2026-11-03").resolve("part-00000.parquet");
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement sql = duck.createStatement()) {
            sql.execute("SET TimeZone = 'UTC'");
            List<String> rows = new ArrayList<>();
            try (ResultSet row = sql.executeQuery("SELECT concat_ws('|', epoch_ms(event_time), message_id, type, event, "
                    + "user_id, anonymous_id, group_id, previous_id, properties, traits, context, epoch_ms(received_at), "
                    + "epoch_ms(sent_at), flags::VARCHAR) FROM read_parquet('" + file + "')")) {
                while (row.next()) {
                    rows.add(row.getString(1));
                }
            }
            long ms = at.toEpochMilli();
            assertEquals(List.of(
                    ms + "|m-ascii|track|plain|plain|plain|plain|plain|{\"k\":\"plain\"}|{\"k\":\"plain\"}|{\"k\":\"plain\"}|"
                            + (ms + 1000) + "|" + (ms - 1) + "|[clock-skew, replayed]",
                    (ms + 1000) + "|m-other|track|Zoë 東京 🚀|Zoë 東京 🚀|Zoë 東京 🚀|Zoë 東京 🚀|Zoë 東京 🚀"
                            + "|{\"k\":\"Zoë 東京 🚀\"}|{\"k\":\"Zoë 東京 🚀\"}|{\"k\":\"Zoë 東京 🚀\"}|"
                            + (ms + 2000) + "|" + (ms + 999) + "|[]"), rows);
        }
    }

    @Test
    void aLateEventRewritesOnlyItsDayAndReExportingChangesNothing() throws Exception {
        StoredEvents events = new StoredEvents(session);
        events.store("2026-11-01T08:00:00Z", "Viewed", "u-1", null);
        events.store("2026-11-02T08:00:00Z", "Viewed", "u-1", null);
        assertEquals(2, events.export());
        assertEquals(0, events.export());

        Path first = root.resolve("source=" + events.source).resolve("event_date=2026-11-01").resolve("part-00000.parquet");
        Path second = root.resolve("source=" + events.source).resolve("event_date=2026-11-02").resolve("part-00000.parquet");
        // Back-date both files, so a rewrite would show as a new modification time whatever the clock resolution.
        FileTime past = FileTime.from(Instant.parse("2020-01-01T00:00:00Z"));
        Files.setLastModifiedTime(first, past);
        Files.setLastModifiedTime(second, past);

        events.store("2026-11-01T09:30:00Z", "Bought", "u-2", null);
        assertEquals(1, events.export());

        assertNotEquals(past, Files.getLastModifiedTime(first));
        assertEquals(past, Files.getLastModifiedTime(second));
        assertFalse(Files.exists(root.resolve("source=" + events.source).resolve("_staging").resolve("x")));
        given().auth().oauth2(TOKEN).queryParam("source", events.source)
                .when().get("/api/v1/exports")
                .then().statusCode(200)
                .body("$", hasSize(2))
                .body("[0].date", equalTo("2026-11-01")).body("[0].rows", equalTo(2)).body("[0].files", equalTo(1))
                .body("[1].date", equalTo("2026-11-02")).body("[1].rows", equalTo(1)).body("[1].files", equalTo(1));
        given().auth().oauth2(TOKEN)
                .queryParam("source", events.source).queryParam("from", "2026-11-01").queryParam("to", "2026-11-02")
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(200)
                .body("days[0].events", equalTo(2)).body("days[0].users", equalTo(2))
                .body("days[1].events", equalTo(1));
    }

    @Test
    void aChangeFromAHostWhoseClockIsBehindIsStillExported() {
        StoredEvents events = new StoredEvents(session);
        events.store("2026-11-03T08:00:00Z", "Viewed", "u-1", null);
        assertEquals(1, events.export());

        // A second dedup host, its clock an hour behind, stores a row of the day after that export: its
        // changed_at is earlier than the one the files cover, and its older write timestamp even
        // loses to the first host's mark, so changed_days still shows the covered time.
        events.storeByClock("2026-11-03T09:00:00Z", "Bought", "u-2", null, Duration.ofHours(1));
        assertEquals(1, events.export(), "the day's change count went up, so the day is exported again");
        assertEquals(0, events.export());

        given().auth().oauth2(TOKEN)
                .queryParam("source", events.source).queryParam("from", "2026-11-03").queryParam("to", "2026-11-03")
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(200)
                .body("days[0].events", equalTo(2)).body("days[0].users", equalTo(2));
        given().auth().oauth2(TOKEN).queryParam("source", events.source)
                .when().get("/api/v1/exports")
                .then().statusCode(200)
                .body("$", hasSize(1)).body("[0].rows", equalTo(2)).body("[0].coversChanges", equalTo(2));
    }

    @Test
    void aDayExportedBeforeChangeCountsIsExportedOnceMore() {
        StoredEvents events = new StoredEvents(session);
        events.store("2026-11-04T08:00:00Z", "Viewed", "u-1", null);
        assertEquals(1, events.export());
        // What an export by a version before change counts left: the covered time, but no covered count.
        session.execute(SimpleStatement.newInstance("DELETE covers_changes FROM tidemark.exported_days "
                + "WHERE source = ? AND event_date = ?", events.source, LocalDate.parse("2026-11-04")));

        // Its files may predate a change whose changed_at came from a clock behind, so they are not trusted.
        assertEquals(1, events.export());
        assertEquals(0, events.export(), "once the count is recorded, an unchanged day is left alone");
    }

    @Test
    void anExportAskedWhileACycleRunsIsTooManyRequestsWithRetryAfter() throws Exception {
        StoredEvents events = new StoredEvents(session);
        events.store("2026-11-05T08:00:00Z", "Viewed", "u-1", null);
        Lock reading = swapLock.reading();
        CompletableFuture<Integer> first;
        // A held read lock keeps the first cycle from swapping its day in, so it is still running below.
        reading.lock();
        try {
            first = CompletableFuture.supplyAsync(events::export);
            await().atMost(Duration.ofSeconds(30)).until(() -> cycle.runningSince().isPresent());
            given().auth().oauth2(TOKEN).queryParam("source", events.source)
                    .when().post("/api/v1/exports")
                    .then().statusCode(429).contentType("application/problem+json")
                    .header("Retry-After", "30")
                    .body("status", equalTo(429)).body("detail", containsString("is running"));
        } finally {
            reading.unlock();
        }
        assertEquals(1, first.get(30, TimeUnit.SECONDS));
        assertEquals(0, events.export(), "once the cycle ended, exports run again");
    }
}
