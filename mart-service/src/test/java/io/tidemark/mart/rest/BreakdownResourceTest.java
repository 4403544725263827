package io.tidemark.mart.rest;

import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import io.tidemark.mart.layout.MartLayout;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

import static io.restassured.RestAssured.given;
import static io.tidemark.mart.rest.StoredEvents.TOKEN;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Breakdowns (by=) of the daily and top-events APIs over events with properties and context. */
@QuarkusTest
@QuarkusTestResource(TempMartRoot.class)
class BreakdownResourceTest {

    @Inject
    QuarkusCqlSession session;

    @ConfigProperty(name = "tidemark.mart.export.root")
    Path root;

    @TestHTTPResource(value = "/", management = true)
    URL management;

    private StoredEvents events;

    @BeforeEach
    void storeAndExport() {
        events = new StoredEvents(session);
        // 2026-11-01: plan pro x3 (u-1 twice, u-2), free x1, a JSON null and no properties at all.
        store("2026-11-01T08:00:00Z", "Viewed", "u-1", "{\"plan\":\"pro\"}", "{\"os\":{\"name\":\"iOS\"}}");
        store("2026-11-01T08:10:00Z", "Viewed", "u-2", "{\"plan\":\"pro\"}", "{\"os\":{\"name\":\"Android\"}}");
        store("2026-11-01T08:20:00Z", "Viewed", "u-3", "{\"plan\":\"free\"}", null);
        store("2026-11-01T08:30:00Z", "Bought", "u-1", "{\"plan\":\"pro\",\"amount\":12.5}", "{\"os\":{\"name\":\"iOS\"}}");
        store("2026-11-01T08:40:00Z", "Viewed", "u-4", "{\"plan\":null}", null);
        store("2026-11-01T08:50:00Z", "Viewed", "u-5", null, null);
        // 2026-11-02: team x1, free x2 (u-6 twice), and text that is not JSON.
        store("2026-11-02T08:00:00Z", "Viewed", "u-1", "{\"plan\":\"team\"}", null);
        store("2026-11-02T08:10:00Z", "Viewed", "u-6", "{\"plan\":\"free\"}", null);
        store("2026-11-02T08:20:00Z", "Bought", "u-6", "{\"plan\":\"free\",\"utm-source\":{\"$id\":\"x\"}}", null);
        store("2026-11-02T08:30:00Z", "Viewed", "u-7", "not json", null);
        events.export();
    }

    @Test
    void dailySplitsEachDayByTheRangesTopValuesWithOtherAndMissing() {
        // pro 3 and free 3 over the range: the tie goes by value, so free first; team is other.
        daily("by", "properties.plan", "values", "2")
                .body("by", equalTo("properties.plan"))
                .body("days", hasSize(2))
                .body("days[0].events", equalTo(6)).body("days[0].users", equalTo(5))
                .body("days[0].breakdown.values", hasSize(2))
                .body("days[0].breakdown.values[0].value", equalTo("free"))
                .body("days[0].breakdown.values[0].events", equalTo(1)).body("days[0].breakdown.values[0].users", equalTo(1))
                .body("days[0].breakdown.values[1].value", equalTo("pro"))
                .body("days[0].breakdown.values[1].events", equalTo(3)).body("days[0].breakdown.values[1].users", equalTo(2))
                .body("days[0].breakdown.other.events", equalTo(0)).body("days[0].breakdown.other.users", equalTo(0))
                .body("days[0].breakdown.missing.events", equalTo(2)).body("days[0].breakdown.missing.users", equalTo(2))
                .body("days[1].events", equalTo(4))
                .body("days[1].breakdown.values[0].value", equalTo("free"))
                .body("days[1].breakdown.values[0].events", equalTo(2)).body("days[1].breakdown.values[0].users", equalTo(1))
                // A top value absent from a day is there as zeros, so every day names the same values.
                .body("days[1].breakdown.values[1].value", equalTo("pro"))
                .body("days[1].breakdown.values[1].events", equalTo(0)).body("days[1].breakdown.values[1].users", equalTo(0))
                .body("days[1].breakdown.other.events", equalTo(1)).body("days[1].breakdown.other.users", equalTo(1))
                .body("days[1].breakdown.missing.events", equalTo(1)).body("days[1].breakdown.missing.users", equalTo(1));
    }

    @Test
    void eachDaysBreakdownRollupHoldsItsValuesWithDistinctUsers() throws Exception {
        // properties.plan and context.os.name are the test profile's rollup paths; value NULL is missing.
        assertEquals(List.of("context.os.name|Android|1|1", "context.os.name|iOS|2|1", "context.os.name|null|3|3",
                "properties.plan|free|1|1", "properties.plan|pro|3|2", "properties.plan|null|2|2"),
                rollupRows("2026-11-01"));
        assertEquals(List.of("context.os.name|null|4|3", "properties.plan|free|2|1", "properties.plan|team|1|1",
                "properties.plan|null|1|1"), rollupRows("2026-11-02"));
    }

    @Test
    void aLateEventReExportsItsDaysRollupAndOtherCountsAUserOfTwoOtherValuesOnce() throws Exception {
        // u-1 on 2026-11-02 again, with pro and with free: pro 4, free 4 over the range.
        store("2026-11-02T09:00:00Z", "Viewed", "u-1", "{\"plan\":\"pro\"}", null);
        store("2026-11-02T09:10:00Z", "Viewed", "u-1", "{\"plan\":\"free\"}", null);
        assertEquals(1, events.export());
        assertEquals(List.of("context.os.name|null|6|3", "properties.plan|free|3|2", "properties.plan|pro|1|1",
                "properties.plan|team|1|1", "properties.plan|null|1|1"), rollupRows("2026-11-02"));
        // The tie goes to free; on 2026-11-02 other is team and pro, both only u-1's: two events, one user.
        daily("by", "properties.plan", "values", "1")
                .body("days[0].breakdown.values[0].value", equalTo("free"))
                .body("days[0].breakdown.values[0].events", equalTo(1)).body("days[0].breakdown.values[0].users", equalTo(1))
                .body("days[0].breakdown.other.events", equalTo(3)).body("days[0].breakdown.other.users", equalTo(2))
                .body("days[0].breakdown.missing.events", equalTo(2)).body("days[0].breakdown.missing.users", equalTo(2))
                .body("days[1].breakdown.values[0].events", equalTo(3)).body("days[1].breakdown.values[0].users", equalTo(2))
                .body("days[1].breakdown.other.events", equalTo(2)).body("days[1].breakdown.other.users", equalTo(1))
                .body("days[1].breakdown.missing.events", equalTo(1)).body("days[1].breakdown.missing.users", equalTo(1));
    }

    @Test
    void daysWithoutABreakdownRollupAreReadFromTheirEventsWithTheSameAnswer() throws Exception {
        // As if 2026-11-01 had been exported before breakdown rollups existed.
        Files.delete(new MartLayout(root).breakdownRollup(events.source, LocalDate.parse("2026-11-01")));
        dailySplitsEachDayByTheRangesTopValuesWithOtherAndMissing();
        daily("by", "context.os.name")
                .body("days[0].breakdown.values.value", equalTo(List.of("iOS", "Android")))
                .body("days[0].breakdown.values.users", equalTo(List.of(1, 1)))
                .body("days[0].breakdown.missing.events", equalTo(3)).body("days[1].breakdown.missing.users", equalTo(3));
    }

    @Test
    void aDayWithoutEventsHasTheTopValuesAsZerosAndEmptyBuckets() {
        given().auth().oauth2(TOKEN).queryParam("source", events.source).queryParam("from", "2026-11-02")
                .queryParam("to", "2026-11-03").queryParam("by", "properties.plan")
                .when().get("/api/v1/metrics/daily")
                .then().statusCode(200)
                .body("days[0].breakdown.values.value", equalTo(List.of("free", "team")))
                .body("days[1].events", equalTo(0))
                .body("days[1].breakdown.values.events", equalTo(List.of(0, 0)))
                .body("days[1].breakdown.other.events", equalTo(0)).body("days[1].breakdown.missing.events", equalTo(0))
                .body("days[1].breakdown.missing.users", equalTo(0));
    }

    @Test
    void dailyWithAnEventSplitsOnlyThatEventsRows() {
        daily("event", "Bought", "by", "properties.plan")
                .body("days[0].events", equalTo(1))
                .body("days[0].breakdown.values", hasSize(2))
                .body("days[0].breakdown.values[0].value", equalTo("free")).body("days[0].breakdown.values[0].events", equalTo(0))
                .body("days[0].breakdown.values[1].value", equalTo("pro")).body("days[0].breakdown.values[1].events", equalTo(1))
                .body("days[1].breakdown.values[0].events", equalTo(1)).body("days[1].breakdown.values[1].events", equalTo(0))
                .body("days[1].breakdown.missing.events", equalTo(0));
    }

    @Test
    void keysWithDollarAndDashAndTheEventColumnAreBreakdownsToo() {
        daily("by", "properties.utm-source.$id")
                .body("days[0].breakdown.values", hasSize(1))
                .body("days[0].breakdown.values[0].value", equalTo("x")).body("days[0].breakdown.values[0].events", equalTo(0))
                .body("days[0].breakdown.missing.events", equalTo(6))
                .body("days[1].breakdown.values[0].events", equalTo(1)).body("days[1].breakdown.missing.events", equalTo(3));
        daily("by", "event", "values", "1")
                .body("days[0].breakdown.values[0].value", equalTo("Viewed"))
                .body("days[0].breakdown.values[0].events", equalTo(5)).body("days[0].breakdown.values[0].users", equalTo(5))
                .body("days[0].breakdown.other.events", equalTo(1)).body("days[0].breakdown.missing.events", equalTo(0))
                .body("days[1].breakdown.values[0].events", equalTo(3)).body("days[1].breakdown.other.events", equalTo(1));
    }

    @Test
    void topEventsSplitsEachEventByItsOwnTopValues() {
        topEvents("by", "context.os.name", "values", "1")
                .body("by", equalTo("context.os.name"))
                .body("events", hasSize(2))
                .body("events[0].event", equalTo("Viewed")).body("events[0].count", equalTo(8)).body("events[0].users", equalTo(7))
                // Android and iOS once each: the tie goes by value.
                .body("events[0].breakdown.values", hasSize(1))
                .body("events[0].breakdown.values[0].value", equalTo("Android"))
                .body("events[0].breakdown.values[0].events", equalTo(1))
                .body("events[0].breakdown.other.events", equalTo(1)).body("events[0].breakdown.other.users", equalTo(1))
                .body("events[0].breakdown.missing.events", equalTo(6)).body("events[0].breakdown.missing.users", equalTo(6))
                .body("events[1].event", equalTo("Bought"))
                .body("events[1].breakdown.values[0].value", equalTo("iOS"))
                .body("events[1].breakdown.values[0].users", equalTo(1))
                .body("events[1].breakdown.other.events", equalTo(0)).body("events[1].breakdown.missing.events", equalTo(1));
        // Numbers are their JSON text.
        topEvents("by", "properties.amount", "limit", "1")
                .body("events", hasSize(1)).body("events[0].breakdown.values", hasSize(0))
                .body("events[0].breakdown.missing.events", equalTo(8));
        topEvents("by", "properties.amount")
                .body("events[1].breakdown.values[0].value", equalTo("12.5"))
                .body("events[1].breakdown.values[0].events", equalTo(1)).body("events[1].breakdown.missing.events", equalTo(1));
    }

    @Test
    void withoutByTheAnswersHaveNoBreakdown() {
        daily().body("$", not(hasKey("by"))).body("days[0]", not(hasKey("breakdown"))).body("days[0].events", equalTo(6));
        topEvents().body("$", not(hasKey("by"))).body("events[0]", not(hasKey("breakdown")));
    }

    @Test
    void hostilePathsAreBadRequestsNamingByAndNeverServerErrors() {
        for (String by : List.of("properties.plan'", "properties.plan'; drop table x; --", "properties..plan",
                "properties", "properties.", "properties.a.b.c.d.e.f", "properties.\"plan\"", "properties.pl\\an",
                "properties.plän", "properties.计划", "properties.*", "$.plan", "context.os.name)", "user_id",
                "properties." + "a".repeat(65), "properties." + "a".repeat(2000), " ")) {
            for (String path : List.of("/api/v1/metrics/daily", "/api/v1/metrics/top-events")) {
                request("by", by).when().get(path)
                        .then().statusCode(400).contentType("application/problem+json")
                        .body("status", equalTo(400)).body("field", equalTo("by"));
            }
        }
        for (String values : List.of("0", "51", "ten", "-1")) {
            request("by", "properties.plan", "values", values).when().get("/api/v1/metrics/daily")
                    .then().statusCode(400).body("field", equalTo("values"));
        }
    }

    @Test
    void theApiDocumentDescribesByAndValues() {
        for (String path : List.of("/api/v1/metrics/daily", "/api/v1/metrics/top-events")) {
            given().when().get(management + "openapi?format=json").then().statusCode(200)
                    .body("paths.'" + path + "'.get.parameters.name", hasItems("by", "values"))
                    .body("paths.'" + path + "'.get.parameters.find { it.name == 'by' }.description",
                            containsString("context.os.name"));
        }
    }

    /** The day's breakdown rollup as path|value|events|users, in file order. */
    private List<String> rollupRows(String day) throws Exception {
        List<String> rows = new ArrayList<>();
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement sql = duck.createStatement();
                ResultSet result = sql.executeQuery("SELECT path, value, events, users FROM read_parquet('"
                        + new MartLayout(root).breakdownRollup(events.source, LocalDate.parse(day)) + "')")) {
            while (result.next()) {
                rows.add(result.getString(1) + "|" + result.getString(2) + "|" + result.getLong(3) + "|" + result.getLong(4));
            }
        }
        return rows;
    }

    private void store(String time, String event, String userId, String properties, String context) {
        events.store(Instant.parse(time), Instant.parse(time), event, userId, properties, context);
    }

    private ValidatableResponse daily(String... parameters) {
        return request(parameters).when().get("/api/v1/metrics/daily").then().statusCode(200);
    }

    private ValidatableResponse topEvents(String... parameters) {
        return request(parameters).when().get("/api/v1/metrics/top-events").then().statusCode(200);
    }

    private io.restassured.specification.RequestSpecification request(String... parameters) {
        var request = given().auth().oauth2(TOKEN).queryParam("source", events.source)
                .queryParam("from", "2026-11-01").queryParam("to", "2026-11-02");
        for (int i = 0; i < parameters.length; i += 2) {
            request = request.queryParam(parameters[i], parameters[i + 1]);
        }
        return request;
    }
}
