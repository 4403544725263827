package io.tidemark.mart.query;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.tidemark.mart.config.MartConfig;
import io.tidemark.mart.layout.MartSwapLock;
import io.tidemark.mart.repository.DuckDbEngine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every query the service has taken is answered when it stops, while its caller still listens: shortly before the
 * end of Quarkus's graceful shutdown, after which the HTTP server closes every connection. Before, a query still
 * waiting for a worker then (or running past it) was cut off unanswered, and the pool dropped it at the
 * {@code ShutdownEvent} with its deadline, so its answer never came at all.
 */
class QueryPoolStopTest {

    @TempDir
    Path root;

    /** No delay, two seconds for requests in flight: an unanswered query is answered a second into them. */
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(2);

    private QueryPool pool;
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void oneWorkerAndOneWaiting() {
        // Quarkus's own reading of durations ("30s"), as the service reads its defaults.
        SmallRyeConfig config = new SmallRyeConfigBuilder().withMapping(MartConfig.class)
                .withConverter(Duration.class, 100, new DurationConverter())
                .withDefaultValue("tidemark.mart.export.root", root.toString())
                .withDefaultValue("tidemark.mart.duckdb.query-concurrency", "1")
                .withDefaultValue("tidemark.mart.duckdb.query-queue", "1")
                .build();
        MartConfig mart = config.getConfigMapping(MartConfig.class);
        pool = new QueryPool(new DuckDbEngine(mart), new MartSwapLock(), mart, Optional.of(Duration.ZERO),
                Optional.of(SHUTDOWN_TIMEOUT));
    }

    @AfterEach
    void releaseTheWorker() {
        release.countDown();
        pool.stop(null);
    }

    @Test
    void theRunningAndTheWaitingQueriesAreAnsweredBeforeTheGracefulShutdownEnds() throws Exception {
        List<CompletableFuture<String>> answers = oneRunningOneWaiting();

        long stopBegan = System.nanoTime();
        pool.shutdownBegins(new ShutdownDelayInitiatedEvent());

        Thread.sleep(300);
        assertFalse(answers.stream().anyMatch(CompletableFuture::isDone),
                "queries keep their time while the graceful shutdown gives it");
        answers.forEach(QueryPoolStopTest::assertAnsweredStopping);
        Duration answered = Duration.ofNanos(System.nanoTime() - stopBegan);
        assertTrue(answered.compareTo(SHUTDOWN_TIMEOUT) < 0, "answered after " + answered + ", when the server had closed");
    }

    @Test
    void theShutdownEventAnswersWhatIsLeft() throws Exception {
        List<CompletableFuture<String>> answers = oneRunningOneWaiting();

        pool.stop(null);

        answers.forEach(QueryPoolStopTest::assertAnsweredStopping);
    }

    @Test
    void aQueryTakenAfterTheStopBeganIsAnsweredAsBefore() throws Exception {
        pool.shutdownBegins(new ShutdownDelayInitiatedEvent());

        assertEquals("answered", pool.submit(() -> "answered").subscribeAsCompletionStage().get(5, TimeUnit.SECONDS));
    }

    @Test
    void aQueryArrivingAfterTheStopIsAnsweredThatTheServiceIsStopping() {
        pool.stop(null);

        assertAnsweredStopping(pool.submit(() -> "never run").subscribeAsCompletionStage());
    }

    /** One query holding the only worker until the test ends, and one waiting for it. */
    private List<CompletableFuture<String>> oneRunningOneWaiting() throws InterruptedException {
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<String> running = pool.submit(() -> {
            started.countDown();
            awaitRelease();
            return "late";
        }).subscribeAsCompletionStage();
        assertTrue(started.await(10, TimeUnit.SECONDS), "the first query runs");
        CompletableFuture<String> waiting = pool.submit(() -> "never run").subscribeAsCompletionStage();
        assertEquals(1, pool.waiting());
        return List.of(running, waiting);
    }

    private static void assertAnsweredStopping(CompletableFuture<String> answer) {
        ExecutionException refused = assertThrows(ExecutionException.class, () -> answer.get(5, TimeUnit.SECONDS));
        assertInstanceOf(QueryRefusedException.class, refused.getCause());
        assertTrue(refused.getCause().getMessage().contains("stopping"), refused.getCause().getMessage());
    }

    /** Goes on when interrupted, as a DuckDB statement does: only the test's end releases it. */
    private void awaitRelease() {
        while (true) {
            try {
                release.await();
                return;
            } catch (InterruptedException e) {
                // The pool's stop interrupts its workers.
            }
        }
    }
}
