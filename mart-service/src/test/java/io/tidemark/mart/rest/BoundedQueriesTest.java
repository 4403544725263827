package io.tidemark.mart.rest;

import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.tidemark.mart.layout.MartSwapLock;
import io.tidemark.mart.query.MartQueries;
import io.tidemark.mart.query.QueryPool;
import io.tidemark.mart.query.QueryRefusedException;
import io.tidemark.mart.repository.DuckDbEngine;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Lock;

import static io.restassured.RestAssured.given;
import static io.tidemark.mart.rest.StoredEvents.TOKEN;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Inject
    QueryPool pool;

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
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> queries.waiting() == 1 || running.isDone() || waiting.isDone());
            assertEquals(1, queries.waiting(), () -> "one query waits behind the one running; answered so far: "
                    + answered(running) + ", " + answered(waiting));

            Response refused = daily(events.source);
            assertEquals(503, refused.statusCode());
            refused.then().contentType("application/problem+json").header("Retry-After", "7")
                    .body("status", equalTo(503)).body("detail", containsString("waiting"));

            for (CompletableFuture<Response> slow : List.of(running, waiting)) {
                slow.get(20, TimeUnit.SECONDS).then().statusCode(503).header("Retry-After", "7")
                        .body("detail", containsString("within 2 s"));
            }
        } finally {
            swapping.unlock();
        }
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> daily(events.source).then().statusCode(200).body("days[0].events", equalTo(1)));
    }

    /**
     * A query answered 503 while it waited for the read lock (a long swap, say) runs none of its statements once it
     * gets the lock: before, each statement had a whole timeout of its own, so the query went on scanning after its
     * caller had given up, holding the lock the next swap waits for.
     */
    @Test
    void aQueryPastItsDeadlineStartsNoMoreStatements() throws Exception {
        AtomicBoolean rowsRead = new AtomicBoolean();
        CompletableFuture<Throwable> statement = new CompletableFuture<>();
        CompletableFuture<String> answer = pool.submit(() -> {
            sleep(Duration.ofMillis(2_500));
            return run(statement, "SELECT 1", rows -> rowsRead.set(rows.next()));
        }).subscribeAsCompletionStage();

        assertAnsweredTimedOut(answer);
        assertInstanceOf(QueryRefusedException.class, statement.get(20, TimeUnit.SECONDS));
        assertFalse(rowsRead.get(), "the statement asked for after the deadline was not run");
    }

    /** A statement begun late in its query's time is cancelled at the query's deadline, not a whole timeout later. */
    @Test
    void aStatementIsCancelledAtItsQuerysDeadline() throws Exception {
        long submitted = System.nanoTime();
        CompletableFuture<Throwable> statement = new CompletableFuture<>();
        CompletableFuture<String> answer = pool.submit(() -> {
            sleep(Duration.ofMillis(1_500));
            // Seconds of scanning at least, minutes at most: DuckDB looks for a cancel between its vectors.
            return run(statement, "SELECT sum(range % 7) FROM range(100000000000)", rows -> rows.next());
        }).subscribeAsCompletionStage();

        assertAnsweredTimedOut(answer);
        assertInstanceOf(QueryRefusedException.class, statement.get(20, TimeUnit.SECONDS));
        Duration ended = Duration.ofNanos(System.nanoTime() - submitted);
        // The deadline is at 2 s; each statement's own timeout cancelled this one at 3.5 s at the earliest.
        assertTrue(ended.compareTo(Duration.ofMillis(3_300)) < 0, "the statement ran until " + ended);
    }

    /**
     * One running and one waiting are allowed: two queries arriving together at an idle pool are both taken.
     * Before, the pool's own queue of one refused the second whenever the idle worker had not yet taken the
     * first from it, "too many queries are waiting" with none waiting.
     */
    @Test
    void twoQueriesArrivingTogetherAtAnIdlePoolAreBothAnswered() throws Exception {
        // The work of the tests before may still be giving its place back.
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> "idle".equals(pool.submit(() -> "idle").subscribeAsCompletionStage().get()));
        ExecutorService callers = Executors.newFixedThreadPool(2);
        try {
            for (int attempt = 0; attempt < 200; attempt++) {
                CyclicBarrier together = new CyclicBarrier(2);
                List<Future<String>> answers = new ArrayList<>();
                for (String name : List.of("first", "second")) {
                    answers.add(callers.submit(() -> {
                        together.await();
                        return pool.submit(() -> name).subscribeAsCompletionStage().get(20, TimeUnit.SECONDS);
                    }));
                }
                for (Future<String> answer : answers) {
                    assertInstanceOf(String.class, answer.get(30, TimeUnit.SECONDS), "attempt " + attempt);
                }
            }
        } finally {
            callers.shutdownNow();
        }
    }

    private String run(CompletableFuture<Throwable> outcome, String sql, QueryPool.RowsReader reader) {
        try {
            pool.queryWithReadLockHeld("any", sql, List.of(), reader);
            outcome.complete(null);
            return "answered";
        } catch (RuntimeException e) {
            outcome.complete(e);
            throw e;
        }
    }

    private static void assertAnsweredTimedOut(CompletableFuture<String> answer) {
        ExecutionException refused = assertThrows(ExecutionException.class, () -> answer.get(20, TimeUnit.SECONDS));
        assertInstanceOf(QueryRefusedException.class, refused.getCause());
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void duckDbSpillSpaceIsCappedAtTheConfiguredSize() throws Exception {
        try (Connection duck = engine.connect(); Statement sql = duck.createStatement();
                ResultSet rows = sql.executeQuery("SELECT current_setting('max_temp_directory_size')")) {
            rows.next();
            assertEquals("1.0 GiB", rows.getString(1));
        }
    }

    private static String answered(CompletableFuture<Response> call) {
        if (!call.isDone()) {
            return "not yet";
        }
        try {
            return call.join().statusCode() + " " + call.join().asString();
        } catch (CompletionException e) {
            return e.getCause().toString();
        }
    }

    private static Response daily(String source) {
        return given().auth().oauth2(TOKEN)
                .queryParam("source", source).queryParam("from", "2026-11-01").queryParam("to", "2026-11-01")
                .when().get("/api/v1/metrics/daily");
    }
}
