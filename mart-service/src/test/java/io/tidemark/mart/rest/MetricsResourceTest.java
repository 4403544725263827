package io.tidemark.mart.rest;

import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.junit.QuarkusTest;
import io.tidemark.event.EventIndexLayout;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

/** The daily metrics API over rows in the real Cassandra of the local stack. */
@QuarkusTest
class MetricsResourceTest {

    private static final String TOKEN = "dev-read-token";

    @Inject
    QuarkusCqlSession session;

    private String source;

    @BeforeEach
    void storeEvents() {
        source = "mart-test-" + UUID.randomUUID().toString().substring(0, 8);
        // 2026-11-01: three events by two users (one anonymous); 2026-11-03: one event.
        store("2026-11-01T08:00:00Z", "u-1", null);
        store("2026-11-01T09:00:00Z", "u-1", null);
        store("2026-11-01T23:59:59Z", null, "anon-7");
        store("2026-11-03T00:00:00Z", "u-2", null);
        session.execute(SimpleStatement.newInstance(
                "INSERT INTO tidemark.changed_days (source, event_date, changed_at) VALUES (?, ?, ?)",
                source, LocalDate.of(2026, 11, 1), Instant.now()));
    }

    private void store(String time, String userId, String anonymousId) {
        Instant eventTime = Instant.parse(time);
        String messageId = UUID.randomUUID().toString();
        session.execute(SimpleStatement.newInstance("INSERT INTO tidemark.events_by_day (source, event_date, bucket, "
                        + "event_time, message_id, type, event, user_id, anonymous_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                source, EventIndexLayout.eventDay(eventTime), EventIndexLayout.bucket(messageId), eventTime, messageId,
                "track", "Viewed", userId, anonymousId));
    }

    @Test
    void dailyCountsEventsAndDistinctUsersWithZerosForEmptyDays() {
        given().auth().oauth2(TOKEN)
                .queryParam("source", source).queryParam("from", "2026-11-01").queryParam("to", "2026-11-03")
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(200)
                .body("source", equalTo(source))
                .body("days", hasSize(3))
                .body("days[0].date", equalTo("2026-11-01")).body("days[0].events", equalTo(3)).body("days[0].users", equalTo(2))
                .body("days[1].date", equalTo("2026-11-02")).body("days[1].events", equalTo(0)).body("days[1].users", equalTo(0))
                .body("days[2].date", equalTo("2026-11-03")).body("days[2].events", equalTo(1)).body("days[2].users", equalTo(1));
    }

    @Test
    void missingOrWrongTokenIsUnauthorized() {
        given().queryParam("source", source).queryParam("from", "2026-11-01").queryParam("to", "2026-11-03")
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(401).contentType("application/problem+json").body("status", equalTo(401));
        given().auth().oauth2("wrong")
                .queryParam("source", source).queryParam("from", "2026-11-01").queryParam("to", "2026-11-03")
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(401);
    }

    @Test
    void badParametersAreBadRequestsNamingTheParameter() {
        given().auth().oauth2(TOKEN)
                .queryParam("source", source).queryParam("from", "2026-11-03").queryParam("to", "2026-11-01")
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(400).contentType("application/problem+json").body("field", equalTo("to"));
        given().auth().oauth2(TOKEN)
                .queryParam("source", "never-seen-" + UUID.randomUUID().toString().substring(0, 8))
                .queryParam("from", "2026-11-01").queryParam("to", "2026-11-03")
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(400).body("field", equalTo("source"));
        given().auth().oauth2(TOKEN)
                .queryParam("from", "2026-11-01").queryParam("to", "2026-11-03")
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(400).body("field", equalTo("source"));
    }
}
