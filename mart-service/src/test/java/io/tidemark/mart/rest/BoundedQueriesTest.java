package io.tidemark.mart.rest;

import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.tidemark.mart.layout.MartSwapLock;
import io.tidemark.mart.query.MartQueries;
import io.tidemark.mart.repository.DuckDbEngine;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;

import static io.restassured.RestAssured.given;
import static io.tidemark.mart.rest.StoredEvents.TOKEN;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Queries are bounded in number, in waiting and in time, and DuckDB's spill space is capped. */
@QuarkusTest
@TestProfile(BoundedQueriesTest.OneWorkerOneWaiting.class)
@QuarkusTestResource(TempMartRoot.class)
class BoundedQueriesTest {

    /** One query at a time, one more waiting, two seconds for both. */
    public static class OneWorkerOneWaiting implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tidemark.mart.duckdb.query-concurrency", "1",
                    "tidemark.mart.duckdb.query-queue", "1",
                    "tidemark.mart.duckdb.query-timeout", "2s",
                    "tidemark.mart.duckdb.busy-retry-after", "7s",
                    "tidemark.mart.duckdb.max-temp-directory-size", "1GiB");
        }
    }

    @Inject
    QuarkusCqlSession session;

    @Inject
    MartSwapLock swapLock;

    @Inject
    MartQueries queries;

    @Inject
    DuckDbEngine engine;

    @Test
    void aFullQueueIsRefusedAtOnceAndSlowQueriesTimeOutBothWithRetryAfter() throws Exception {
        StoredEvents events = new StoredEvents(session);
        events.store("2026-11-01T08:00:00Z", "Viewed", "u-1", null);
        events.export();
        Lock swapping = swapLock.swapping();
        // A swap that never ends stands for any slow query: every query waits for it on its worker.
        swapping.lock();
        try {
            CompletableFuture<Response> running = CompletableFuture.supplyAsync(() -> daily(events.source));
            CompletableFuture<Response> waiting = CompletableFuture.supplyAsync(() -> daily(events.source));
            await().atMost(Duration.ofSeconds(10)).until(() -> queries.waiting() == 1);

            Response refused = daily(events.source);
            assertEquals(503, refused.statusCode());
            refused.then().contentType("application/problem+json").header("Retry-After", "7")
                    .body("status", equalTo(503)).body("detail", containsString("waiting"));

            for (CompletableFuture<Response> slow : java.util.List.of(running, waiting)) {
                slow.get(20, TimeUnit.SECONDS).then().statusCode(503).header("Retry-After", "7")
                        .body("detail", containsString("within 2 s"));
            }
        } finally {
            swapping.unlock();
        }
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> daily(events.source).then().statusCode(200).body("days[0].events", equalTo(1)));
    }

    @Test
    void duckDbSpillSpaceIsCappedAtTheConfiguredSize() throws Exception {
        try (Connection duck = engine.connect(); Statement sql = duck.createStatement();
                ResultSet rows = sql.executeQuery("SELECT current_setting('max_temp_directory_size')")) {
            rows.next();
            assertEquals("1.0 GiB", rows.getString(1));
        }
    }

    private static Response daily(String source) {
        return given().auth().oauth2(TOKEN)
                .queryParam("source", source).queryParam("from", "2026-11-01").queryParam("to", "2026-11-01")
                .when().get("/api/v1/metrics/daily");
    }
}
