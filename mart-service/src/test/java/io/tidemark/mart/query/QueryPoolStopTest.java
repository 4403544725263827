package io.tidemark.mart.query;

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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every query the service has taken is answered when it stops. Before, the queries still waiting for a worker
 * were dropped with the pool, and their deadlines with the scheduler, so their callers were never answered.
 */
class QueryPoolStopTest {

    @TempDir
    Path root;

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
        pool = new QueryPool(new DuckDbEngine(mart), new MartSwapLock(), mart);
    }

    @AfterEach
    void releaseTheWorker() {
        release.countDown();
        pool.stop(null);
    }

    @Test
    void theRunningAndTheWaitingQueriesAreAnsweredThatTheServiceIsStopping() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<String> running = pool.submit(() -> {
            started.countDown();
            awaitRelease();
            return "late";
        }).subscribeAsCompletionStage();
        assertTrue(started.await(10, TimeUnit.SECONDS), "the first query runs");
        CompletableFuture<String> waiting = pool.submit(() -> "never run").subscribeAsCompletionStage();
        assertEquals(1, pool.waiting());

        pool.stop(null);

        for (CompletableFuture<String> answer : List.of(running, waiting)) {
            ExecutionException refused = assertThrows(ExecutionException.class, () -> answer.get(5, TimeUnit.SECONDS));
            assertInstanceOf(QueryRefusedException.class, refused.getCause());
            assertTrue(refused.getCause().getMessage().contains("stopping"), refused.getCause().getMessage());
        }
    }

    @Test
    void aQueryArrivingAfterTheStopIsAnsweredThatTheServiceIsStopping() {
        pool.stop(null);

        ExecutionException refused = assertThrows(ExecutionException.class,
                () -> pool.submit(() -> "never run").subscribeAsCompletionStage().get(5, TimeUnit.SECONDS));
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
