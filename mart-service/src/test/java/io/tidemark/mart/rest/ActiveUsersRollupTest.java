package io.tidemark.mart.rest;

import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.tidemark.mart.layout.MartLayout;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;

import static io.restassured.RestAssured.given;
import static io.tidemark.mart.rest.StoredEvents.TOKEN;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DAU/WAU/MAU come from per-day user rollups: they follow every re-export, and a day without one still counts. */
@QuarkusTest
@QuarkusTestResource(TempMartRoot.class)
class ActiveUsersRollupTest {

    @Inject
    QuarkusCqlSession session;

    @ConfigProperty(name = "tidemark.mart.export.root")
    Path root;

    @Test
    void aLateUserOfAnExportedDayIsCountedAfterTheDayIsReExported() throws Exception {
        StoredEvents events = new StoredEvents(session);
        events.store("2026-11-01T08:00:00Z", "Viewed", "u-1", null);
        events.store("2026-11-02T08:00:00Z", "Viewed", "u-2", null);
        assertEquals(2, events.export());
        assertEquals(1, rollupRows(events.source, "2026-11-02"));
        activeUsers(events.source, "2026-11-02", 1, 2, 2);

        // Late events for the exported 2026-11-02: a new user, and u-1 again (already seen on 2026-11-01).
        events.store("2026-11-02T09:00:00Z", "Bought", "u-3", null);
        events.store("2026-11-02T10:00:00Z", "Viewed", "u-1", null);
        assertEquals(1, events.export());

        assertEquals(3, rollupRows(events.source, "2026-11-02"));
        activeUsers(events.source, "2026-11-02", 3, 3, 3);
        activeUsers(events.source, "2026-11-01", 1, 1, 1);
        // The rollups sit in the day directories, and still no event query reads them as events.
        given().auth().oauth2(TOKEN)
                .queryParam("source", events.source).queryParam("from", "2026-11-01").queryParam("to", "2026-11-02")
                .queryParam("event", "Viewed")
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(200)
                .body("days[0].events", equalTo(1)).body("days[1].events", equalTo(2)).body("days[1].users", equalTo(2));
        given().auth().oauth2(TOKEN)
                .queryParam("source", events.source).queryParam("from", "2026-11-01").queryParam("to", "2026-11-02")
                .when().get("/api/v1/metrics/top-events")
                .then().statusCode(200)
                .body("events[0].event", equalTo("Viewed")).body("events[0].count", equalTo(3))
                .body("events[0].users", equalTo(2))
                .body("events[1].event", equalTo("Bought")).body("events[1].count", equalTo(1));
    }

    @Test
    void daysWithoutARollupAreCountedFromTheirEventsAndAUserIsCountedOnce() throws Exception {
        StoredEvents events = new StoredEvents(session);
        events.store("2026-11-01T08:00:00Z", "Viewed", "u-1", null);
        events.store("2026-11-01T09:00:00Z", "Viewed", "u-3", null);
        events.store("2026-11-02T08:00:00Z", "Viewed", "u-1", null);
        events.store("2026-11-02T09:00:00Z", "Viewed", "u-2", null);
        events.store("2026-11-03T08:00:00Z", "Viewed", null, "anon-9");
        assertEquals(3, events.export());
        // As if 2026-11-01 and 2026-11-03 had been exported before rollups existed.
        Files.delete(rollup(events.source, "2026-11-01"));
        Files.delete(rollup(events.source, "2026-11-03"));

        // u-1 is in the 2026-11-02 rollup and in the 2026-11-01 events: one user, not two.
        activeUsers(events.source, "2026-11-03", 1, 4, 4);
        activeUsers(events.source, "2026-11-01", 2, 2, 2);

        // The next re-export of a day writes its rollup.
        events.store("2026-11-01T10:00:00Z", "Viewed", "u-4", null);
        assertEquals(1, events.export());
        assertTrue(Files.exists(rollup(events.source, "2026-11-01")));
        assertEquals(3, rollupRows(events.source, "2026-11-01"));
        activeUsers(events.source, "2026-11-03", 1, 5, 5);
    }

    private static void activeUsers(String source, String date, int dau, int wau, int mau) {
        given().auth().oauth2(TOKEN)
                .queryParam("source", source).queryParam("date", date)
                .when().get("/api/v1/metrics/active-users")
                .then().statusCode(200)
                .body("date", equalTo(date)).body("dau", equalTo(dau)).body("wau", equalTo(wau)).body("mau", equalTo(mau));
    }

    private Path rollup(String source, String day) {
        return new MartLayout(root).usersRollup(source, LocalDate.parse(day));
    }

    /** Distinct keys in the day's rollup file, read as plain Parquet. */
    private long rollupRows(String source, String day) throws Exception {
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement sql = duck.createStatement();
                ResultSet rows = sql.executeQuery("SELECT count(*), count(DISTINCT user_hash) FROM read_parquet('"
                        + rollup(source, day) + "')")) {
            rows.next();
            assertEquals(rows.getLong(1), rows.getLong(2), "one row per user");
            return rows.getLong(1);
        }
    }
}
