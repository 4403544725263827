package io.tidemark.mart.rest;

import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;

import static io.restassured.RestAssured.given;
import static io.tidemark.mart.rest.StoredEvents.TOKEN;
import static org.hamcrest.Matchers.equalTo;

/** A service started on an empty disk answers from the bucket's days, with no export and no Cassandra rows. */
@QuarkusTest
@QuarkusTestResource(TempMartRoot.class)
@QuarkusTestResource(value = SeededBucket.class, restrictToAnnotatedClass = true)
class S3MirrorAtStartTest {

    @Inject
    QuarkusCqlSession session;

    @Test
    void aDayInTheBucketIsServedWithoutAnExport() throws Exception {
        // The API answers only for sources the ledger knows; the day's events are not in Cassandra at all.
        session.execute(SimpleStatement.newInstance(
                "INSERT INTO tidemark.changed_days (source, event_date, changed_at) VALUES (?, ?, ?)",
                SeededBucket.SOURCE, LocalDate.parse(SeededBucket.DAY), Instant.now()));
        // The mirror is filled on the export worker right after start; wait for it, not for a fixed time.
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (mau() != 2 && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
        }
        given().auth().oauth2(TOKEN)
                .queryParam("source", SeededBucket.SOURCE).queryParam("date", SeededBucket.DAY)
                .when().get("/api/v1/metrics/active-users")
                .then().statusCode(200).body("dau", equalTo(2)).body("wau", equalTo(2)).body("mau", equalTo(2));
        given().auth().oauth2(TOKEN)
                .queryParam("source", SeededBucket.SOURCE).queryParam("from", SeededBucket.DAY)
                .queryParam("to", SeededBucket.DAY)
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(200).body("days[0].events", equalTo(3)).body("days[0].users", equalTo(2));
        given().auth().oauth2(TOKEN)
                .queryParam("source", SeededBucket.SOURCE).queryParam("from", SeededBucket.DAY)
                .queryParam("to", SeededBucket.DAY)
                .when().get("/api/v1/metrics/top-events")
                .then().statusCode(200)
                .body("events[0].event", equalTo("Viewed")).body("events[0].count", equalTo(2))
                .body("events[1].event", equalTo("Bought")).body("events[1].users", equalTo(1));
    }

    private static int mau() {
        return given().auth().oauth2(TOKEN)
                .queryParam("source", SeededBucket.SOURCE).queryParam("date", SeededBucket.DAY)
                .when().get("/api/v1/metrics/active-users")
                .then().statusCode(200).extract().path("mau");
    }

    /** The ledger row would otherwise make the local stack's mart export an empty day for this source. */
    @AfterEach
    void forget() {
        session.execute(SimpleStatement.newInstance("DELETE FROM tidemark.changed_days WHERE source = ?",
                SeededBucket.SOURCE));
    }
}
