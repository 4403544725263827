package io.tidemark.mart.query;

import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.tidemark.mart.config.MartConfig;
import io.tidemark.mart.layout.MartLayout;
import io.tidemark.mart.layout.MartSwapLock;
import io.tidemark.mart.repository.DuckDbEngine;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.duckdb.DuckDBConnection;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Lock;
import java.util.function.Supplier;

/**
 * The bounded worker pool, deadline and swap-lock discipline every mart query runs under, shared by
 * the query classes so each of them is only its SQL.
 */
@ApplicationScoped
public class QueryPool {

    private static final Logger LOG = Logger.getLogger(QueryPool.class);

    /** Reads a query's result set on the worker, while the statement is open. */
    public interface RowsReader {
        void read(ResultSet rows) throws SQLException;
    }

    private final DuckDbEngine engine;
    private final MartSwapLock lock;
    private final MartLayout layout;
    // DuckDB's JDBC calls block for the whole query: they run on this bounded pool, never on an event
    // loop, and the bound caps how many scans compete for DuckDB's threads and memory. Its queue is
    // bounded too: past it a burst is refused at once instead of piling up behind slow scans.
    private final ThreadPoolExecutor pool;
    private final Duration timeout;
    private final int queueLimit;
    // Cancels a DuckDB statement still running at its deadline, so a timed-out query frees its worker.
    private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "mart-query-deadline");
        thread.setDaemon(true);
        return thread;
    });

    public QueryPool(DuckDbEngine engine, MartSwapLock lock, MartConfig config) {
        this.engine = engine;
        this.lock = lock;
        this.layout = new MartLayout(config.export().root());
        AtomicInteger threads = new AtomicInteger();
        int concurrency = config.duckdb().queryConcurrency();
        int queue = config.duckdb().queryQueue();
        this.pool = new ThreadPoolExecutor(concurrency, concurrency, 0, TimeUnit.MILLISECONDS,
                queue == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(queue), task -> {
                    Thread thread = new Thread(task, "mart-query-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                }, new ThreadPoolExecutor.AbortPolicy());
        this.timeout = config.duckdb().queryTimeout();
        this.queueLimit = queue;
    }

    public MartLayout layout() {
        return layout;
    }

    /** The lock a query holds while it lists a source's files and reads them, so no swap falls in between. */
    public Lock reading() {
        return lock.reading();
    }

    /** Runs {@code sql} under the read lock; no rows at all when the source has no exported day yet. */
    public void queryUnderReadLock(String source, String sql, List<?> parameters, RowsReader reader) {
        Lock reading = lock.reading();
        reading.lock();
        try {
            if (!hasDays(source)) {
                // DuckDB refuses a glob that matches no file; a source not exported yet simply has no rows.
                return;
            }
            queryWithReadLockHeld(source, sql, parameters, reader);
        } finally {
            reading.unlock();
        }
    }

    /** Runs a query with its parameters bound (strings and numbers); the caller holds the read lock. */
    public void queryWithReadLockHeld(String source, String sql, List<?> parameters, RowsReader reader) {
        AtomicBoolean cancelled = new AtomicBoolean();
        try (DuckDBConnection duck = engine.connect(); PreparedStatement statement = duck.prepareStatement(sql)) {
            for (int i = 0; i < parameters.size(); i++) {
                Object parameter = parameters.get(i);
                if (parameter instanceof String text) {
                    statement.setString(i + 1, text);
                } else {
                    statement.setObject(i + 1, parameter);
                }
            }
            ScheduledFuture<?> deadline = deadlines.schedule(() -> {
                cancelled.set(true);
                try {
                    statement.cancel();
                } catch (SQLException e) {
                    LOG.debugf(e, "cancelling a query of source %s at its deadline failed", source);
                }
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
            try (ResultSet rows = statement.executeQuery()) {
                reader.read(rows);
            } finally {
                deadline.cancel(false);
            }
        } catch (SQLException e) {
            if (cancelled.get()) {
                throw new QueryRefusedException("the query ran longer than " + timeout.toSeconds() + " s");
            }
            throw new IllegalStateException("mart query failed for source " + source + ": " + e.getMessage(), e);
        }
    }

    /** The event files of one day directory, none when the day was never exported or had no events. */
    public static List<String> eventFiles(Path dayDir) {
        if (!Files.isDirectory(dayDir)) {
            return List.of();
        }
        List<String> files = new ArrayList<>();
        try (DirectoryStream<Path> parts = Files.newDirectoryStream(dayDir, "*.parquet")) {
            parts.forEach(part -> files.add(part.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    /** Whether any day of the source has event files; the caller holds the read lock. */
    public boolean hasDays(String source) {
        Path dir = layout.sourceDir(source);
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (DirectoryStream<Path> days = Files.newDirectoryStream(dir, "event_date=*")) {
            for (Path day : days) {
                if (!eventFiles(day).isEmpty()) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Queries waiting for a free worker. */
    public int waiting() {
        return pool.getQueue().size();
    }

    /** Runs blocking {@code work} on the pool, answered 503 when the queue is full or the deadline passes. */
    public <T> Uni<T> submit(Supplier<T> work) {
        return Uni.createFrom().deferred(() -> {
            CompletableFuture<T> result = new CompletableFuture<>();
            try {
                pool.execute(() -> {
                    // Timed out while waiting: its caller has its answer, so the scan is not started at all.
                    if (result.isDone()) {
                        return;
                    }
                    try {
                        result.complete(work.get());
                    } catch (Throwable e) {
                        result.completeExceptionally(e);
                    }
                });
            } catch (RejectedExecutionException e) {
                return Uni.createFrom().failure(
                        new QueryRefusedException("too many queries are waiting (at most " + queueLimit + ")"));
            }
            // The deadline counts from arrival, waiting included: it is what the caller waits for.
            ScheduledFuture<?> deadline = deadlines.schedule(() -> result.completeExceptionally(new QueryRefusedException(
                    "the query did not finish within " + timeout.toSeconds() + " s")), timeout.toMillis(), TimeUnit.MILLISECONDS);
            result.whenComplete((answer, failure) -> deadline.cancel(false));
            return Uni.createFrom().completionStage(result);
        });
    }

    void stop(@Observes ShutdownEvent event) {
        pool.shutdownNow();
        deadlines.shutdownNow();
    }
}
