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
import static org.hamcrest.Matchers.nullValue;

/** Ordered steps per user within a window of the first step: users, conversion and median time per step. */
@QuarkusTest
@QuarkusTestResource(TempMartRoot.class)
class FunnelResourceTest {

    @Inject
    QuarkusCqlSession session;

    @Test
    void usersCountForEveryStepTheyReachedInOrderWithinTheWindow() {
        StoredEvents events = new StoredEvents(session);
        // u-1: all three steps, an hour apart.
        events.store("2026-11-01T08:00:00Z", "Viewed", "u-1", null);
        events.store("2026-11-01T09:00:00Z", "Added", "u-1", null);
        events.store("2026-11-01T10:00:00Z", "Bought", "u-1", null);
        // u-2: added after 30 min; bought 25 h after viewing, outside the 1-day window.
        events.store("2026-11-01T08:00:00Z", "Viewed", "u-2", null);
        events.store("2026-11-01T08:30:00Z", "Added", "u-2", null);
        events.store("2026-11-02T09:00:00Z", "Bought", "u-2", null);
        // anon-3: added before viewing, never after: step 1 only.
        events.store("2026-11-01T07:00:00Z", "Added", null, "anon-3");
        events.store("2026-11-01T08:00:00Z", "Viewed", null, "anon-3");
        // u-4: viewed late on the last day, added the next morning (14 h): counted, past `to` but in the window.
        events.store("2026-11-01T20:00:00Z", "Viewed", "u-4", null);
        events.store("2026-11-02T10:00:00Z", "Added", "u-4", null);
        // u-5: never did step 1; u-6 viewed only after `to`.
        events.store("2026-11-01T09:00:00Z", "Added", "u-5", null);
        events.store("2026-11-02T09:00:00Z", "Viewed", "u-6", null);
        events.export();

        given().auth().oauth2(TOKEN).queryParam("source", events.source).queryParam("from", "2026-11-01")
                .queryParam("to", "2026-11-01").queryParam("steps", "Viewed,Added,Bought").queryParam("within", "1d")
                .when().get("/api/v1/metrics/funnel")
                .then().statusCode(200)
                .body("withinSeconds", equalTo(86400))
                .body("steps", hasSize(3))
                .body("steps[0].event", equalTo("Viewed")).body("steps[0].users", equalTo(4))
                .body("steps[0].conversionFromPrevious", nullValue()).body("steps[0].medianSecondsFromPrevious", nullValue())
                .body("steps[1].event", equalTo("Added")).body("steps[1].users", equalTo(3))
                .body("steps[1].conversionFromPrevious", equalTo(0.75f))
                // 3,600, 1,800 and 50,400 s: the median is an hour.
                .body("steps[1].medianSecondsFromPrevious", equalTo(3600.0f))
                .body("steps[2].event", equalTo("Bought")).body("steps[2].users", equalTo(1))
                .body("steps[2].conversionFromPrevious", equalTo((float) (1.0 / 3)))
                .body("steps[2].conversionFromStart", equalTo(0.25f))
                .body("steps[2].medianSecondsFromPrevious", equalTo(3600.0f));

        // Two days of window: u-2's purchase now converts (25 h after viewing, 24.5 h after adding).
        given().auth().oauth2(TOKEN).queryParam("source", events.source).queryParam("from", "2026-11-01")
                .queryParam("to", "2026-11-01").queryParam("steps", "Viewed,Added,Bought").queryParam("within", "2d")
                .when().get("/api/v1/metrics/funnel")
                .then().statusCode(200)
                .body("steps[2].users", equalTo(2)).body("steps[2].medianSecondsFromPrevious", equalTo((3600.0f + 88200) / 2));
    }

    @Test
    void badParametersNameTheField() {
        StoredEvents events = new StoredEvents(session);
        events.store("2026-11-01T08:00:00Z", "Viewed", "u-1", null);
        badRequest(events.source, "steps", "Viewed");
        badRequest(events.source, "steps", "Viewed,,Bought");
        badRequest(events.source, "steps", "A,B,C,D,E,F,G,H,I,J,K");
        badRequest(events.source, "within", "Viewed,Bought", "within", "1w");
        badRequest(events.source, "within", "Viewed,Bought", "within", "31d");
    }

    private static void badRequest(String source, String field, String steps, String... more) {
        var request = given().auth().oauth2(TOKEN).queryParam("source", source).queryParam("from", "2026-11-01")
                .queryParam("to", "2026-11-01").queryParam("steps", steps);
        for (int i = 0; i < more.length; i += 2) {
            request = request.queryParam(more[i], more[i + 1]);
        }
        request.when().get("/api/v1/metrics/funnel")
                .then().statusCode(400).contentType("application/problem+json").body("field", equalTo(field));
    }
}
