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
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

import static io.restassured.RestAssured.given;
import static io.tidemark.mart.rest.StoredEvents.TOKEN;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Arrival delays per day from the lateness rollups, the source's p99/p99.9 delays, and which days are final. */
@QuarkusTest
@QuarkusTestResource(TempMartRoot.class)
class LatenessResourceTest {

    @Inject
    QuarkusCqlSession session;

    @ConfigProperty(name = "tidemark.mart.export.root")
    Path root;

    @Test
    void delaysAreBucketedPerDayAndTheP999DelayDecidesWhichDaysAreFinal() {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        LocalDate old = today.minusDays(60);
        LocalDate recent = today.minusDays(20);
        LocalDate yesterday = today.minusDays(1);
        StoredEvents events = new StoredEvents(session);
        Instant oldNoon = noon(old);
        events.storeArrivals(oldNoon, Duration.ofMinutes(10), 985);
        events.storeArrivals(oldNoon, Duration.ofDays(2), 9);
        events.storeArrivals(oldNoon, Duration.ofDays(45), 1);
        events.store(oldNoon, null, "Tick", "no-receipt", null, null);
        Instant recentNoon = noon(recent);
        events.storeArrivals(recentNoon, Duration.ofMinutes(30), 3);
        events.storeArrivals(recentNoon, Duration.ofHours(5), 1);
        events.storeArrivals(recentNoon, Duration.ofDays(10), 1);
        events.storeArrivals(noon(yesterday), Duration.ofMinutes(1), 1);
        events.export();
        assertTrue(Files.isRegularFile(new MartLayout(root).latenessRollup(events.source, old)));

        // 1,001 events with a delay; sorted: 1 x 1 min, 985 x 10 min, 3 x 30 min, 1 x 5 h, 9 x 2 d, 1 x 10 d,
        // 1 x 45 d. 99 % needs 991 of them (reached in the 2-day bucket), 99.9 % needs 1,000 (the 10-day one).
        given().auth().oauth2(TOKEN)
                .queryParam("source", events.source).queryParam("from", old.toString()).queryParam("to", yesterday.toString())
                .when().get("/api/v1/metrics/lateness")
                .then().statusCode(200)
                .body("window.days", equalTo(3)).body("window.events", equalTo(1001))
                .body("window.from", equalTo(old.toString())).body("window.to", equalTo(yesterday.toString()))
                .body("window.p99Seconds", equalTo(172800)).body("window.p999Seconds", equalTo(864000))
                .body("window.finalAfterSeconds", equalTo(864000))
                .body("days", hasSize(60))
                .body("days[0].date", equalTo(old.toString())).body("days[0].events", equalTo(996))
                .body("days[0].delays.upTo1h", equalTo(985)).body("days[0].delays.upTo1d", equalTo(0))
                .body("days[0].delays.upTo3d", equalTo(9)).body("days[0].delays.upTo7d", equalTo(0))
                .body("days[0].delays.upTo30d", equalTo(0)).body("days[0].delays.later", equalTo(1))
                .body("days[0].delays.unknown", equalTo(1))
                .body("days[0].status", equalTo("final"))
                .body("days[40].date", equalTo(recent.toString())).body("days[40].events", equalTo(5))
                .body("days[40].delays.upTo1h", equalTo(3)).body("days[40].delays.upTo1d", equalTo(1))
                .body("days[40].delays.upTo30d", equalTo(1))
                // Its end plus 10 days is 9 days ago: exported since, so final.
                .body("days[40].status", equalTo("final"))
                .body("days[41].events", equalTo(0)).body("days[41].status", equalTo("final"))
                // Ended today at midnight: final only 10 days from now.
                .body("days[59].date", equalTo(yesterday.toString())).body("days[59].delays.upTo1h", equalTo(1))
                .body("days[59].status", equalTo("provisional"))
                .body("days[59].finalAt", equalTo(today.plusDays(10).atStartOfDay(ZoneOffset.UTC).toInstant().toString()));
    }

    @Test
    void aLateArrivalChangesTheDaysHistogramAtItsNextExport() {
        LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(10);
        StoredEvents events = new StoredEvents(session);
        events.storeArrivals(noon(day), Duration.ofMinutes(5), 2);
        events.export();
        lateness(events.source, day).body("days[0].delays.upTo1h", equalTo(2)).body("days[0].delays.upTo7d", equalTo(0))
                .body("window.p999Seconds", equalTo(300));
        events.storeArrivals(noon(day), Duration.ofDays(4), 1);
        events.export();
        lateness(events.source, day).body("days[0].delays.upTo1h", equalTo(2)).body("days[0].delays.upTo7d", equalTo(1))
                .body("days[0].events", equalTo(3)).body("window.p999Seconds", equalTo(4 * 86400));
    }

    @Test
    void badParametersNameTheField() {
        StoredEvents events = new StoredEvents(session);
        events.store(noon(LocalDate.now(ZoneOffset.UTC).minusDays(2)), null, "Tick", "u", null, null);
        given().auth().oauth2(TOKEN).queryParam("source", events.source).queryParam("from", "2026-13-01")
                .queryParam("to", "2026-11-01")
                .when().get("/api/v1/metrics/lateness")
                .then().statusCode(400).contentType("application/problem+json").body("field", equalTo("from"));
        given().auth().oauth2(TOKEN).queryParam("source", events.source).queryParam("from", "2024-01-01")
                .queryParam("to", "2026-11-01")
                .when().get("/api/v1/metrics/lateness")
                .then().statusCode(400).body("field", equalTo("to"));
        given().queryParam("source", events.source).queryParam("from", "2026-11-01").queryParam("to", "2026-11-01")
                .when().get("/api/v1/metrics/lateness")
                .then().statusCode(401);
    }

    private static io.restassured.response.ValidatableResponse lateness(String source, LocalDate day) {
        return given().auth().oauth2(TOKEN)
                .queryParam("source", source).queryParam("from", day.toString()).queryParam("to", day.toString())
                .when().get("/api/v1/metrics/lateness")
                .then().statusCode(200);
    }

    private static Instant noon(LocalDate day) {
        return day.atTime(12, 0).toInstant(ZoneOffset.UTC);
    }
}
