package io.tidemark.mart.rest;

import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static io.restassured.RestAssured.given;
import static io.tidemark.mart.rest.StoredEvents.TOKEN;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

/** The dashboard API over Parquet marts exported from the real Cassandra of the local stack. */
@QuarkusTest
@QuarkusTestResource(TempMartRoot.class)
class MetricsResourceTest {

    @Inject
    QuarkusCqlSession session;

    private StoredEvents events;

    @BeforeEach
    void storeAndExport() {
        events = new StoredEvents(session);
        // 2026-11-01: three events by two users (one anonymous); 2026-11-03: one; 2026-10-10: one by u-3.
        events.store("2026-11-01T08:00:00Z", "Viewed", "u-1", null);
        events.store("2026-11-01T09:00:00Z", "Bought", "u-1", null);
        events.store("2026-11-01T23:59:59Z", "Viewed", null, "anon-7");
        events.store("2026-11-03T00:00:00Z", "Viewed", "u-2", null);
        events.store("2026-10-10T12:00:00Z", "Viewed", "u-3", null);
        events.export();
    }

    @Test
    void dailyCountsEventsAndDistinctUsersWithZerosForEmptyDays() {
        given().auth().oauth2(TOKEN)
                .queryParam("source", events.source).queryParam("from", "2026-11-01").queryParam("to", "2026-11-03")
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(200)
                .body("source", equalTo(events.source))
                .body("from", equalTo("2026-11-01")).body("to", equalTo("2026-11-03"))
                .body("exportedThrough", notNullValue())
                .body("days", hasSize(3))
                .body("days[0].date", equalTo("2026-11-01")).body("days[0].events", equalTo(3)).body("days[0].users", equalTo(2))
                .body("days[1].date", equalTo("2026-11-02")).body("days[1].events", equalTo(0)).body("days[1].users", equalTo(0))
                .body("days[2].date", equalTo("2026-11-03")).body("days[2].events", equalTo(1)).body("days[2].users", equalTo(1));
    }

    @Test
    void farDatesAreRefusedNamingTheirParameterOnEveryDatedEndpoint() {
        // Java parses each; the queries once built SQL DuckDB refused (+10000) or passed Java's last day: 500s.
        for (String far : new String[] {"+10000-01-01", "9999-12-31", "+999999999-12-31", "-0001-01-01"}) {
            for (String path : new String[] {"daily", "top-events", "lateness", "retention", "funnel"}) {
                given().auth().oauth2(TOKEN).queryParam("source", events.source).queryParam("from", far)
                        .queryParam("to", far).queryParam("steps", "Viewed,Bought")
                        .when().get("/api/v1/metrics/" + path)
                        .then().statusCode(400).contentType("application/problem+json").body("field", equalTo("from"));
            }
            for (String path : new String[] {"active-users", "revisions"}) {
                given().auth().oauth2(TOKEN).queryParam("source", events.source).queryParam("date", far)
                        .when().get("/api/v1/metrics/" + path)
                        .then().statusCode(400).contentType("application/problem+json").body("field", equalTo("date"));
            }
        }
    }

    @Test
    void dailyCountsOnlyTheAskedEvent() {
        given().auth().oauth2(TOKEN)
                .queryParam("source", events.source).queryParam("from", "2026-11-01").queryParam("to", "2026-11-01")
                .queryParam("event", "Bought")
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(200)
                .body("days[0].events", equalTo(1)).body("days[0].users", equalTo(1));
    }

    @Test
    void activeUsersCountDistinctUsersOfTheDayWeekAndThirtyDays() {
        given().auth().oauth2(TOKEN)
                .queryParam("source", events.source).queryParam("date", "2026-11-03")
                .when().get("/api/v1/metrics/active-users")
                .then().statusCode(200)
                .body("date", equalTo("2026-11-03"))
                .body("dau", equalTo(1)).body("wau", equalTo(3)).body("mau", equalTo(4));
        // 30 days ending on 2026-11-08 start on 2026-10-10: u-3 is still in; ending 2026-11-09 it is not.
        given().auth().oauth2(TOKEN)
                .queryParam("source", events.source).queryParam("date", "2026-11-08")
                .when().get("/api/v1/metrics/active-users")
                .then().statusCode(200).body("dau", equalTo(0)).body("wau", equalTo(1)).body("mau", equalTo(4));
        given().auth().oauth2(TOKEN)
                .queryParam("source", events.source).queryParam("date", "2026-11-09")
                .when().get("/api/v1/metrics/active-users")
                .then().statusCode(200).body("mau", equalTo(3));
    }

    @Test
    void topEventsAreOrderedByCountWithTheirUsers() {
        given().auth().oauth2(TOKEN)
                .queryParam("source", events.source).queryParam("from", "2026-10-01").queryParam("to", "2026-11-30")
                .queryParam("limit", "5")
                .when().get("/api/v1/metrics/top-events")
                .then().statusCode(200)
                .body("events", hasSize(2))
                .body("events[0].event", equalTo("Viewed")).body("events[0].count", equalTo(4)).body("events[0].users", equalTo(4))
                .body("events[1].event", equalTo("Bought")).body("events[1].count", equalTo(1)).body("events[1].users", equalTo(1));
        given().auth().oauth2(TOKEN)
                .queryParam("source", events.source).queryParam("from", "2026-10-01").queryParam("to", "2026-11-30")
                .queryParam("limit", "1")
                .when().get("/api/v1/metrics/top-events")
                .then().statusCode(200).body("events", hasSize(1));
    }

    @Test
    void aKnownSourceNotExportedYetHasZerosAndNoFreshness() {
        StoredEvents fresh = new StoredEvents(session);
        fresh.store("2026-11-01T08:00:00Z", "Viewed", "u-1", null);
        given().auth().oauth2(TOKEN)
                .queryParam("source", fresh.source).queryParam("from", "2026-11-01").queryParam("to", "2026-11-01")
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(200)
                .body("exportedThrough", nullValue())
                .body("days[0].events", equalTo(0));
    }

    @Test
    void missingOrWrongTokenIsUnauthorized() {
        given().queryParam("source", events.source).queryParam("from", "2026-11-01").queryParam("to", "2026-11-03")
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(401).contentType("application/problem+json").body("status", equalTo(401));
        given().auth().oauth2("wrong")
                .queryParam("source", events.source).queryParam("date", "2026-11-01")
                .when().get("/api/v1/metrics/active-users")
                .then().statusCode(401);
        given().auth().oauth2("wrong").when().post("/api/v1/exports").then().statusCode(401);
    }

    @Test
    void theBearerSchemeIsReadWhateverItsCase() {
        given().header("Authorization", "bearer " + TOKEN)
                .queryParam("source", events.source).queryParam("from", "2026-11-01").queryParam("to", "2026-11-03")
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(200).body("days[0].events", equalTo(3));
    }

    @Test
    void badParametersAreBadRequestsNamingTheParameter() {
        badRequest("/api/v1/metrics/daily", "to", "source", events.source, "from", "2026-11-03", "to", "2026-11-01");
        badRequest("/api/v1/metrics/daily", "to", "source", events.source, "from", "2024-01-01", "to", "2026-11-01");
        badRequest("/api/v1/metrics/daily", "from", "source", events.source, "from", "11/01/2026", "to", "2026-11-01");
        badRequest("/api/v1/metrics/daily", "source", "source", "never-seen-" + UUID.randomUUID().toString().substring(0, 8),
                "from", "2026-11-01", "to", "2026-11-03");
        badRequest("/api/v1/metrics/daily", "source", "from", "2026-11-01", "to", "2026-11-03");
        badRequest("/api/v1/metrics/active-users", "date", "source", events.source, "date", "yesterday");
        badRequest("/api/v1/metrics/top-events", "limit", "source", events.source, "from", "2026-11-01",
                "to", "2026-11-03", "limit", "0");
    }

    private static void badRequest(String path, String field, String... parameters) {
        var request = given().auth().oauth2(TOKEN);
        for (int i = 0; i < parameters.length; i += 2) {
            request = request.queryParam(parameters[i], parameters[i + 1]);
        }
        request.when().get(path)
                .then().statusCode(400).contentType("application/problem+json")
                .body("status", equalTo(400)).body("field", equalTo(field));
    }
}
