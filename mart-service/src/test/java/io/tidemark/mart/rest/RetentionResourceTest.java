package io.tidemark.mart.rest;

import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.tidemark.mart.layout.MartLayout;
import io.tidemark.mart.export.WeekUserRollups;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.TemporalAdjusters;
import java.util.List;
import java.util.Optional;

import static io.restassured.RestAssured.given;
import static io.tidemark.mart.rest.StoredEvents.TOKEN;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Cohorts by first-seen period from the user rollups, and who came back k periods later. */
@QuarkusTest
@QuarkusTestResource(TempMartRoot.class)
class RetentionResourceTest {

    @Inject
    QuarkusCqlSession session;

    @ConfigProperty(name = "tidemark.mart.export.root")
    Path root;

    private StoredEvents events;
    // A Monday weeks ago, so every period asked below has begun.
    private final LocalDate d0 = LocalDate.now(ZoneOffset.UTC).minusDays(40).with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));

    @BeforeEach
    void storeAndExport() {
        events = new StoredEvents(session);
        // u-old was seen before the first cohort (within the lookback): not new on d0, in no cohort.
        at(-5, "Viewed", "u-old", null);
        at(0, "Viewed", "u-old", null);
        at(0, "Viewed", "u-1", null);
        at(1, "Viewed", "u-1", null);
        at(3, "Viewed", "u-1", null);
        at(9, "Viewed", "u-1", null);
        at(0, "Viewed", "u-2", null);
        at(2, "Signed Up", "u-2", null);
        at(1, "Signed Up", null, "anon-3");
        at(2, "Viewed", null, "anon-3");
        at(8, "Viewed", "u-4", null);
        at(15, "Viewed", "u-4", null);
        events.export();
    }

    @Test
    void dailyCohortsCountUsersFirstSeenThatDayAndWhoReturnedEachLaterDay() {
        retention("from", day(0), "to", day(1), "period", "day", "periods", "3")
                .body("period", equalTo("day")).body("periods", equalTo(3))
                .body("firstSeenSince", equalTo(d0.minusDays(90).toString()))
                .body("cohorts", hasSize(2))
                .body("cohorts[0].start", equalTo(day(0))).body("cohorts[0].users", equalTo(2))
                .body("cohorts[0].active", equalTo(List.of(2, 1, 1, 1)))
                .body("cohorts[0].share", equalTo(List.of(1.0f, 0.5f, 0.5f, 0.5f)))
                .body("cohorts[1].start", equalTo(day(1))).body("cohorts[1].users", equalTo(1))
                .body("cohorts[1].active", equalTo(List.of(1, 1, 0, 0)));
    }

    @Test
    void weeklyCohortsAreIsoWeeks() {
        // to = d0 + 7 is in the second week; from = d0 + 2 is in the first, whose cohort starts on Monday d0.
        retention("from", day(2), "to", day(7), "period", "week", "periods", "1")
                .body("cohorts", hasSize(2))
                .body("cohorts[0].start", equalTo(day(0))).body("cohorts[0].users", equalTo(3))
                .body("cohorts[0].active", equalTo(List.of(3, 1)))
                .body("cohorts[1].start", equalTo(day(7))).body("cohorts[1].users", equalTo(1))
                .body("cohorts[1].active", equalTo(List.of(1, 1)));
    }

    @Test
    void aLateEventReExportsItsDayAndTheWeekRollupFollows() throws Exception {
        Path week = currentWeek().orElseThrow();
        assertEquals(4, weekUsers(week), "u-old, u-1, u-2 and anon-3 in the week of d0");

        // u-4, first seen in the second week so far, turns out to have come in the first.
        at(3, "Viewed", "u-4", null);
        assertEquals(1, events.export());

        Path rebuilt = currentWeek().orElseThrow();
        assertNotEquals(week, rebuilt);
        assertFalse(Files.exists(week), "the week's file of the old day is gone");
        assertEquals(5, weekUsers(rebuilt));
        retention("from", day(2), "to", day(7), "period", "week", "periods", "1")
                .body("cohorts[0].users", equalTo(4)).body("cohorts[0].active", equalTo(List.of(4, 2)))
                .body("cohorts[1].users", equalTo(0)).body("cohorts[1].active", equalTo(List.of(0, 0)));
        // Daily cohorts read the day rollups and agree.
        retention("from", day(3), "to", day(3), "period", "day", "periods", "5")
                .body("cohorts[0].users", equalTo(1)).body("cohorts[0].active", equalTo(List.of(1, 0, 0, 0, 0, 1)));
    }

    @Test
    void aWeekRollupMadeBeforeADayWasExportedAgainIsNeverRead() throws Exception {
        Path week = currentWeek().orElseThrow();
        Path kept = Files.copy(week, Files.createTempFile("week-", ".rollup"), StandardCopyOption.REPLACE_EXISTING);
        at(3, "Viewed", "u-4", null);
        assertEquals(1, events.export());
        // As if the exporter had died between the day's swap and the week's rebuild: the old week file is back.
        Path rebuilt = currentWeek().orElseThrow();
        Files.delete(rebuilt);
        Files.move(kept, week);
        assertTrue(currentWeek().isEmpty(), "the old file does not match the days now");
        retention("from", day(2), "to", day(7), "period", "week", "periods", "1")
                .body("cohorts[0].users", equalTo(4)).body("cohorts[0].active", equalTo(List.of(4, 2)))
                .body("cohorts[1].users", equalTo(0));

        // The same stale file under the name of the days now would be read: the check above is what keeps it out.
        Files.move(week, rebuilt);
        retention("from", day(2), "to", day(7), "period", "week", "periods", "1")
                .body("cohorts[0].users", equalTo(3)).body("cohorts[1].users", equalTo(1));
    }

    @Test
    void weeksWithoutARollupAreReadDayByDayWithTheSameAnswer() throws Exception {
        Files.delete(currentWeek().orElseThrow());
        weeklyCohortsAreIsoWeeks();
        // The next export of a day of that week makes its file again.
        at(4, "Viewed", "u-1", null);
        assertEquals(1, events.export());
        assertEquals(4, weekUsers(currentWeek().orElseThrow()));
        weeklyCohortsAreIsoWeeks();
    }

    @Test
    void withACohortEventUsersEnterOnTheDayTheyFirstDidIt() {
        retention("from", day(0), "to", day(3), "periods", "1", "event", "Signed Up")
                .body("event", equalTo("Signed Up"))
                .body("cohorts", hasSize(4))
                .body("cohorts[0].users", equalTo(0)).body("cohorts[0].share", equalTo(List.of(0.0f, 0.0f)))
                .body("cohorts[1].users", equalTo(1)).body("cohorts[1].active", equalTo(List.of(1, 1)))
                .body("cohorts[2].users", equalTo(1)).body("cohorts[2].active", equalTo(List.of(1, 0)))
                .body("cohorts[3].users", equalTo(0));
    }

    @Test
    void periodsNotBegunAreNullAndBadParametersNameTheField() {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        retention("from", today.toString(), "to", today.toString(), "periods", "2")
                .body("cohorts[0].active[0]", equalTo(0)).body("cohorts[0].active[1]", equalTo(null));
        badRequest("period", "from", day(0), "to", day(1), "period", "month");
        badRequest("periods", "from", day(0), "to", day(1), "periods", "0");
        badRequest("periods", "from", day(0), "to", day(1), "periods", "61");
        badRequest("to", "from", day(1), "to", day(0));
    }

    private Optional<Path> currentWeek() {
        return new WeekUserRollups(new MartLayout(root)).current(events.source, d0);
    }

    /** Rows of a week file, read as plain Parquet; one per user. */
    private static long weekUsers(Path week) throws Exception {
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement sql = duck.createStatement();
                ResultSet rows = sql.executeQuery("SELECT count(*), count(DISTINCT user_hash) FROM read_parquet('"
                        + week + "')")) {
            rows.next();
            assertEquals(rows.getLong(1), rows.getLong(2), "one row per user");
            return rows.getLong(1);
        }
    }

    private void at(int dayOffset, String event, String userId, String anonymousId) {
        events.store(d0.plusDays(dayOffset) + "T12:00:00Z", event, userId, anonymousId);
    }

    private String day(int offset) {
        return d0.plusDays(offset).toString();
    }

    private io.restassured.response.ValidatableResponse retention(String... parameters) {
        var request = given().auth().oauth2(TOKEN).queryParam("source", events.source);
        for (int i = 0; i < parameters.length; i += 2) {
            request = request.queryParam(parameters[i], parameters[i + 1]);
        }
        return request.when().get("/api/v1/metrics/retention").then().statusCode(200);
    }

    private void badRequest(String field, String... parameters) {
        var request = given().auth().oauth2(TOKEN).queryParam("source", events.source);
        for (int i = 0; i < parameters.length; i += 2) {
            request = request.queryParam(parameters[i], parameters[i + 1]);
        }
        request.when().get("/api/v1/metrics/retention")
                .then().statusCode(400).contentType("application/problem+json").body("field", equalTo(field));
    }
}
