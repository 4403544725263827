package io.tidemark.mart.rest;

import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static io.tidemark.mart.rest.StoredEvents.TOKEN;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

/** Every export of a day is a revision; the daily API marks days whose numbers moved after their first export. */
@QuarkusTest
@QuarkusTestResource(TempMartRoot.class)
class RevisionsResourceTest {

    @Inject
    QuarkusCqlSession session;

    @Test
    void aDayMovedByLateEventsShowsItsFirstReportEachRevisionAndNow() {
        StoredEvents events = new StoredEvents(session);
        events.store("2026-11-01T08:00:00Z", "Viewed", "u-1", null);
        events.store("2026-11-01T09:00:00Z", "Viewed", "u-2", null);
        events.store("2026-11-02T09:00:00Z", "Viewed", "u-2", null);
        events.export();
        daily(events.source).body("days[0].events", equalTo(2)).body("days[0].revised", equalTo(false))
                .body("days[1].revised", equalTo(false));

        // Late: a new user and a second event of u-1.
        events.store("2026-11-01T10:00:00Z", "Bought", "u-3", null);
        events.store("2026-11-01T11:00:00Z", "Bought", "u-1", null);
        events.export();
        daily(events.source).body("days[0].events", equalTo(4)).body("days[0].users", equalTo(3))
                .body("days[0].revised", equalTo(true))
                .body("days[1].events", equalTo(1)).body("days[1].revised", equalTo(false));
        // The mark is the day's, whatever event is asked.
        given().auth().oauth2(TOKEN).queryParam("source", events.source).queryParam("from", "2026-11-01")
                .queryParam("to", "2026-11-01").queryParam("event", "Bought")
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(200).body("days[0].events", equalTo(2)).body("days[0].revised", equalTo(true));

        // Stored but not exported yet: now still serves the last export, and says changes are waiting.
        events.store("2026-11-01T12:00:00Z", "Viewed", "u-4", null);
        revisions(events.source, "2026-11-01")
                .body("firstReported.number", equalTo(1))
                .body("firstReported.events", equalTo(2)).body("firstReported.users", equalTo(2))
                .body("revisions", hasSize(2))
                .body("revisions[1].number", equalTo(2))
                .body("revisions[1].events", equalTo(4)).body("revisions[1].users", equalTo(3))
                .body("revisions[1].eventsChange", equalTo(2)).body("revisions[1].usersChange", equalTo(1))
                .body("revisions[1].exportedAt", notNullValue())
                .body("now.events", equalTo(4)).body("now.users", equalTo(3)).body("now.pendingChanges", equalTo(true));

        events.export();
        revisions(events.source, "2026-11-01")
                .body("revisions", hasSize(3)).body("revisions[2].events", equalTo(5)).body("revisions[2].usersChange", equalTo(1))
                .body("firstReported.events", equalTo(2))
                .body("now.events", equalTo(5)).body("now.users", equalTo(4)).body("now.pendingChanges", equalTo(false));
        revisions(events.source, "2026-11-02").body("revisions", hasSize(1)).body("now.events", equalTo(1));
    }

    @Test
    void aDayNeverExportedHasNoRevisionsAndBadParametersNameTheField() {
        StoredEvents events = new StoredEvents(session);
        events.store("2026-11-01T08:00:00Z", "Viewed", "u-1", null);
        revisions(events.source, "2026-11-01").body("firstReported", nullValue()).body("revisions", hasSize(0))
                .body("now.events", equalTo(0)).body("now.pendingChanges", equalTo(true));
        given().auth().oauth2(TOKEN).queryParam("source", events.source).queryParam("date", "1 Nov")
                .when().get("/api/v1/metrics/revisions")
                .then().statusCode(400).contentType("application/problem+json").body("field", equalTo("date"));
        given().auth().oauth2(TOKEN).queryParam("date", "2026-11-01")
                .when().get("/api/v1/metrics/revisions")
                .then().statusCode(400).body("field", equalTo("source"));
    }

    private static io.restassured.response.ValidatableResponse daily(String source) {
        return given().auth().oauth2(TOKEN).queryParam("source", source).queryParam("from", "2026-11-01")
                .queryParam("to", "2026-11-02")
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(200);
    }

    private static io.restassured.response.ValidatableResponse revisions(String source, String date) {
        return given().auth().oauth2(TOKEN).queryParam("source", source).queryParam("date", date)
                .when().get("/api/v1/metrics/revisions")
                .then().statusCode(200);
    }
}
