package io.tidemark.mart.query;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.mutiny.Uni;
import io.tidemark.mart.config.MartConfig;
import io.tidemark.mart.layout.MartLayout;
import io.tidemark.mart.layout.MartSwapLock;
import io.tidemark.mart.repository.DuckDbEngine;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.duckdb.DuckDBConnection;
import org.eclipse.microprofile.config.inject.ConfigProperty;
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
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
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
    private static final Duration CANCEL_AGAIN_EVERY = Duration.ofMillis(100);
    /** How long before the server closes its connections a query still unanswered is answered 503, at most. */
    private static final Duration ANSWER_BEFORE_CLOSE = Duration.ofSeconds(1);

    /** Reads a query's result set on the worker, while the statement is open. */
    public interface RowsReader {
        void read(ResultSet rows) throws SQLException;
    }

    private final DuckDbEngine engine;
    private final MartSwapLock lock;
    private final MartLayout layout;
    // DuckDB's JDBC calls block for the whole query: they run on this bounded pool, never on an event
    // loop, and the bound caps how many scans compete for DuckDB's threads and memory.
    private final ThreadPoolExecutor pool;
    // The waiting are bounded too: past them a burst is refused at once instead of piling up behind slow
    // scans. Counted here, running and waiting together, not by a bounded queue of the pool's: that one
    // refuses a query handed to an idle worker that has not yet taken the one before from the queue, so two
    // queries arriving together at an idle pool with a queue of one were answered "too many waiting".
    private final Semaphore admitted;
    private final Duration timeout;
    private final int queueLimit;
    // The caller's deadline (System.nanoTime) of the query a worker runs: every statement of it stops there,
    // however many statements it runs and however long it waited for the read lock. Each statement had a whole
    // timeout of its own before, so a query answered 503 went on scanning, holding the read lock the export's
    // swap waits for, for a multiple of the timeout.
    private final ThreadLocal<Long> queryDeadline = new ThreadLocal<>();
    // Cancels a DuckDB statement still running at its deadline, so a timed-out query frees its worker.
    private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "mart-query-deadline");
        thread.setDaemon(true);
        return thread;
    });
    // The answers of the queries taken and not yet answered, for a stop to answer them while their callers still
    // listen: the HTTP server closes every connection at the end of Quarkus's graceful shutdown, and a query
    // waiting behind slow scans, or one running past that end, was cut off there without an answer.
    private final Set<CompletableFuture<?>> unanswered = ConcurrentHashMap.newKeySet();
    private volatile boolean stopping;
    // From the stop's start to the server's close: the delay, in which the replica serves as before, then the
    // time requests in flight are given.
    private final Duration shutdownDelay;
    private final Duration shutdownTimeout;

    public QueryPool(DuckDbEngine engine, MartSwapLock lock, MartConfig config,
            @ConfigProperty(name = "quarkus.shutdown.delay") Optional<Duration> shutdownDelay,
            @ConfigProperty(name = "quarkus.shutdown.timeout") Optional<Duration> shutdownTimeout) {
        this.engine = engine;
        this.lock = lock;
        this.layout = new MartLayout(config.export().root());
        AtomicInteger threads = new AtomicInteger();
        int concurrency = config.duckdb().queryConcurrency();
        int queue = config.duckdb().queryQueue();
        if (concurrency < 1 || queue < 0) {
            throw new IllegalArgumentException("tidemark.mart.duckdb.query-concurrency must be at least 1 and query-queue"
                    + " at least 0; they are " + concurrency + " and " + queue);
        }
        this.pool = new ThreadPoolExecutor(concurrency, concurrency, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), task -> {
                    Thread thread = new Thread(task, "mart-query-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                }, new ThreadPoolExecutor.AbortPolicy());
        this.admitted = new Semaphore(concurrency + queue);
        this.timeout = config.duckdb().queryTimeout();
        this.queueLimit = queue;
        this.shutdownDelay = shutdownDelay.orElse(Duration.ZERO);
        this.shutdownTimeout = shutdownTimeout.orElse(Duration.ZERO);
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
        long deadlineAt = deadline();
        if (deadlineAt - System.nanoTime() <= 0) {
            throw timedOut();
        }
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
            // Preparing reads the files' metadata, and takes time of its own.
            long left = deadlineAt - System.nanoTime();
            if (left <= 0) {
                throw timedOut();
            }
            // Repeated until the statement returns: DuckDB's JDBC driver cancels only a statement already
            // executing, so a cancel that fell just before executeQuery would be lost.
            ScheduledFuture<?> deadline = deadlines.scheduleAtFixedRate(() -> {
                cancelled.set(true);
                try {
                    statement.cancel();
                } catch (SQLException e) {
                    LOG.debugf(e, "cancelling a query of source %s at its deadline failed", source);
                }
            }, left, CANCEL_AGAIN_EVERY.toNanos(), TimeUnit.NANOSECONDS);
            try (ResultSet rows = statement.executeQuery()) {
                reader.read(rows);
            } finally {
                deadline.cancel(false);
            }
        } catch (SQLException e) {
            if (cancelled.get()) {
                throw timedOut();
            }
            throw new IllegalStateException("mart query failed for source " + source + ": " + e.getMessage(), e);
        }
    }

    /** The deadline (System.nanoTime) of the query this worker runs; outside a submitted query, a timeout from now. */
    private long deadline() {
        Long deadline = queryDeadline.get();
        return deadline == null ? System.nanoTime() + timeout.toNanos() : deadline;
    }

    private QueryRefusedException timedOut() {
        return new QueryRefusedException("the query did not finish within " + timeout.toSeconds() + " s");
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
            long deadlineNanos = System.nanoTime() + timeout.toNanos();
            if (!admitted.tryAcquire()) {
                return Uni.createFrom().failure(
                        new QueryRefusedException("too many queries are waiting (at most " + queueLimit + ")"));
            }
            unanswered.add(result);
            result.whenComplete((answer, failure) -> unanswered.remove(result));
            // Read after the add: a stop either finds this answer or is seen here.
            if (stopping) {
                admitted.release();
                result.completeExceptionally(serviceStopping());
                return Uni.createFrom().completionStage(result);
            }
            try {
                pool.execute(() -> {
                    // Timed out while waiting: its caller has its answer, so the scan is not started at all.
                    if (result.isDone()) {
                        admitted.release();
                    } else {
                        run(work, result, deadlineNanos);
                    }
                });
            } catch (RejectedExecutionException e) {
                // Only once the pool is shut down, as the service stops.
                admitted.release();
                result.completeExceptionally(serviceStopping());
                return Uni.createFrom().completionStage(result);
            }
            try {
                // The deadline counts from arrival, waiting included: it is what the caller waits for.
                ScheduledFuture<?> deadline = deadlines.schedule(() -> result.completeExceptionally(timedOut()),
                        deadlineNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
                result.whenComplete((answer, failure) -> deadline.cancel(false));
            } catch (RejectedExecutionException e) {
                // The scheduler is shut down: the service stopped after the pool took the query.
                result.completeExceptionally(serviceStopping());
            }
            return Uni.createFrom().completionStage(result);
        });
    }

    /** Gives its place back before it answers: a caller that asks again at once finds it free. */
    private <T> void run(Supplier<T> work, CompletableFuture<T> result, long deadlineNanos) {
        queryDeadline.set(deadlineNanos);
        T answer = null;
        Throwable failure = null;
        try {
            answer = work.get();
        } catch (Throwable e) {
            failure = e;
        } finally {
            queryDeadline.remove();
            admitted.release();
        }
        if (failure == null) {
            result.complete(answer);
        } else {
            result.completeExceptionally(failure);
        }
    }

    private static QueryRefusedException serviceStopping() {
        return new QueryRefusedException("the service is stopping");
    }

    /**
     * The stop began: queries go on as before through the delay and most of the time given to requests in flight,
     * and those still unanswered shortly before the server closes are answered 503 then, with Retry-After, so their
     * callers ask another replica instead of seeing a closed connection. Quarkus fires this event when the stop
     * begins because {@code quarkus.shutdown.delay-enabled} is set, with or without a delay.
     */
    void shutdownBegins(@Observes ShutdownDelayInitiatedEvent event) {
        Duration before = ANSWER_BEFORE_CLOSE.compareTo(shutdownTimeout.dividedBy(2)) < 0
                ? ANSWER_BEFORE_CLOSE : shutdownTimeout.dividedBy(2);
        Duration answerIn = shutdownDelay.plus(shutdownTimeout).minus(before);
        LOG.infof("stopping: queries still unanswered in %d ms are answered 503, before the server closes",
                answerIn.toMillis());
        try {
            deadlines.schedule(this::answerAllStopping, answerIn.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // Stopped already.
        }
    }

    private void answerAllStopping() {
        stopping = true;
        for (CompletableFuture<?> result : unanswered) {
            result.completeExceptionally(serviceStopping());
        }
    }

    /**
     * Answers what is left (the server is closed by now, unless no graceful shutdown was configured) and stops the
     * workers; a statement goes on after its worker is interrupted, until it ends or the process exits.
     */
    void stop(@Observes ShutdownEvent event) {
        answerAllStopping();
        pool.shutdownNow();
        deadlines.shutdownNow();
    }
}
