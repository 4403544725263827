package io.tidemark.mart.export;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.tidemark.mart.config.MartConfig;
import io.tidemark.mart.model.DayChange;
import io.tidemark.mart.model.ExportSummary;
import io.tidemark.mart.model.ExportedDay;
import io.tidemark.mart.repository.ChangeLedger;
import io.tidemark.mart.repository.ExportLease;
import io.tidemark.mart.repository.ExportLedger;
import io.tidemark.mart.repository.RevisionLedger;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;
import java.util.function.Predicate;

/**
 * Exports every (source, day) that changed since its last export, periodically and on demand.
 * All cycles run on one dedicated worker thread: DuckDB and the ledger calls block, and one
 * thread also means a scheduled and an on-demand cycle never rewrite the same day at once. Across
 * replicas, a source is exported only under its {@link ExportLease}, renewed while the source is
 * exported, and given up ({@link LeaseHold}) as soon as it is taken or can no longer be confirmed, so
 * another replica takes a source only after its exporter stopped, but for the day it was writing
 * (mart-service/README.md, "Several replicas").
 */
@ApplicationScoped
public class ExportCycle {

    private static final Logger LOG = Logger.getLogger(ExportCycle.class);
    /** The failure of a source or day left for the next cycle because the mart is stopping. */
    static final String STOPPING = "mart is stopping";
    /** The reason of a day whose manifest in the bucket was written under a later lease ({@link DaySuperseded}). */
    static final String SUPERSEDED = "exported meanwhile under a later lease";

    private final ChangeLedger changes;
    private final ExportLedger exports;
    private final DayExporter exporter;
    private final MirrorSync mirror;
    private final RevisionLedger revisions;
    private final ExportLease lease;
    private final SourceLocks locks;
    private final MirrorReadiness readiness;
    private final MartConfig.Export config;
    private final AtomicReference<Instant> running = new AtomicReference<>();
    /** Set on SIGTERM: the day being written is finished, no other is begun. */
    private volatile boolean stopping;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "mart-export");
        thread.setDaemon(true);
        return thread;
    });
    // Reads the next day from Cassandra while the worker writes the current one.
    private final ExecutorService reader = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "mart-export-read");
        thread.setDaemon(true);
        return thread;
    });
    // Renewals run beside the export, which may block in one day for longer than a renewal period.
    private final ScheduledExecutorService renewer = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "mart-export-lease");
        thread.setDaemon(true);
        return thread;
    });

    public ExportCycle(ChangeLedger changes, ExportLedger exports, DayExporter exporter, MirrorSync mirror,
            RevisionLedger revisions, ExportLease lease, SourceLocks locks, MirrorReadiness readiness, MartConfig config) {
        this.changes = changes;
        this.readiness = readiness;
        this.lease = lease;
        this.locks = locks;
        this.revisions = revisions;
        this.mirror = mirror;
        this.exports = exports;
        this.exporter = exporter;
        this.config = config.export();
    }

    /**
     * Runs a cycle for every configured source, or only for {@code source}; completes when it is done.
     * Fails with {@link ExportRunningException} while another cycle runs: queued cycles would only
     * repeat the running one's work, and callers could otherwise stack them without limit.
     */
    public Uni<ExportSummary> run(Optional<String> source) {
        return run(source, any -> true);
    }

    /** As {@link #run(Optional)}, of the sources {@code within} accepts only (those a caller's token reads). */
    public Uni<ExportSummary> run(Optional<String> source, Predicate<String> within) {
        return Uni.createFrom().deferred(() -> {
            if (stopping) {
                return Uni.createFrom().failure(new ExportStoppingException());
            }
            Instant now = Instant.now();
            if (!running.compareAndSet(null, now)) {
                Instant since = running.get();
                return Uni.createFrom().failure(new ExportRunningException(since == null ? now : since));
            }
            CompletableFuture<ExportSummary> result = new CompletableFuture<>();
            // Cleared by the task itself, not by the caller's Uni: a caller that goes away (a closed
            // HTTP connection cancels it) must not let a second cycle start beside the running one.
            worker.execute(() -> {
                try {
                    result.complete(runNow(source, within));
                } catch (Throwable e) {
                    result.completeExceptionally(e);
                } finally {
                    running.set(null);
                }
            });
            return Uni.createFrom().completionStage(result);
        });
    }

    /** When the running cycle started; empty when none runs. */
    public Optional<Instant> runningSince() {
        return Optional.ofNullable(running.get());
    }

    @Scheduled(every = "${tidemark.mart.export.every}", delayed = "${tidemark.mart.export.first-delay}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void periodic() {
        ExportSummary summary;
        try {
            summary = run(Optional.empty()).await().indefinitely();
        } catch (ExportRunningException | ExportStoppingException e) {
            // An on-demand cycle is exporting the same changes, or the mart is stopping; either way the
            // next period (here or on another replica) picks up what this one would have exported.
            return;
        }
        if (!summary.exported().isEmpty() || !summary.failed().isEmpty()) {
            LOG.infof("export cycle: %d days rewritten (%d rows), %d failed", summary.exported().size(),
                    summary.rows(), summary.failed().size());
        }
    }

    private ExportSummary runNow(Optional<String> only, Predicate<String> within) {
        // Every change noted before this instant is read below, so once the source's days are
        // exported its files are complete through this instant.
        Instant startedAt = Instant.now();
        List<String> sources = only.map(List::of).orElseGet(changes::sources).stream()
                .filter(this::exported)
                .filter(within)
                .sorted().toList();
        List<ExportSummary.Day> exported = new ArrayList<>();
        List<ExportSummary.Failure> failed = new ArrayList<>();
        List<String> leasedElsewhere = new ArrayList<>();
        for (String source : sources) {
            if (stopping) {
                failed.add(new ExportSummary.Failure(source, null, STOPPING));
                continue;
            }
            try {
                exportLeased(source, startedAt, exported, failed, leasedElsewhere);
            } catch (RuntimeException e) {
                // The source's lease or ledgers could not be read or written: the sources after it are still
                // exported, and this one is retried next cycle (its exportedThrough stays where it was).
                LOG.errorf(e, "export of source %s failed", source);
                failed.add(new ExportSummary.Failure(source, null, String.valueOf(e.getMessage())));
            }
        }
        // Summed from the days swapped in, so a source that fails after some of its days still counts them.
        long rows = exported.stream().mapToLong(ExportSummary.Day::rows).sum();
        return new ExportSummary(startedAt, Instant.now(), sources.size(), rows, exported, failed, leasedElsewhere);
    }

    /** Exports the source's changed days under its lease, if no other replica holds it. */
    private void exportLeased(String source, Instant startedAt, List<ExportSummary.Day> exported,
            List<ExportSummary.Failure> failed, List<String> leasedElsewhere) {
        long asked = System.nanoTime();
        // The fencing token of the day manifests this lease commits (DayPublisher): read before the acquiring
        // request, so a replica that takes the lease after this one's ran out has a later one.
        long leaseTakenAt = Instant.now().toEpochMilli();
        if (!lease.acquire(source)) {
            // Another replica exports it now; its commits reach this one through the mirror refresh.
            leasedElsewhere.add(source);
            return;
        }
        LeaseHold hold = new LeaseHold(config.lease().ttl(), config.lease().renewEvery(), asked, System::nanoTime);
        long every = config.lease().renewEvery().toMillis();
        ScheduledFuture<?> renewal = renewer.scheduleAtFixedRate(() -> {
            if (hold.lost()) {
                return;
            }
            long sent = System.nanoTime();
            try {
                hold.renewed(sent, lease.renew(source));
            } catch (RuntimeException e) {
                // Not known to be lost yet: the hold runs out by itself if no renewal gets through.
                LOG.warnf(e, "renewing the export lease of source %s failed", source);
            }
        }, every, every, TimeUnit.MILLISECONDS);
        Lock local = locks.of(source);
        local.lock();
        List<LocalDate> swapped = new ArrayList<>();
        try {
            exportSource(source, startedAt, hold, leaseTakenAt, exported, failed, swapped);
        } finally {
            try {
                // After the source, not after each day: a week's rollup is made once however many of its days changed.
                exporter.rebuildWeeks(source, swapped);
            } finally {
                // Whatever failed above, the source stays exportable: by this replica's next cycle, or another's.
                local.unlock();
                renewal.cancel(false);
                if (!hold.lost()) {
                    try {
                        lease.release(source);
                    } catch (RuntimeException e) {
                        LOG.warnf(e, "releasing the export lease of source %s failed; it runs out by itself", source);
                    }
                }
            }
        }
    }

    /** Exports the source's changed days while this replica holds its lease, noting each in {@code exported}. */
    private void exportSource(String source, Instant startedAt, LeaseHold hold, long leaseTakenAt,
            List<ExportSummary.Day> exported, List<ExportSummary.Failure> failed, List<LocalDate> swapped) {
        exporter.removeLeftovers(source);
        Map<LocalDate, ExportedDay> done = exports.days(source);
        boolean complete = true;
        if (mirror.enabled()) {
            try {
                // Before exporting: days another writer (or this one before its disk was lost) put in
                // the bucket are answered from there, and are not re-read from Cassandra.
                mirror.sync(source);
            } catch (Exception e) {
                LOG.errorf(e, "mirroring source %s from the bucket failed", source);
                failed.add(new ExportSummary.Failure(source, null, "mirror: " + e.getMessage()));
                complete = false;
            }
        }
        // The change counts are read before any row of their days: whatever the export reads is at
        // least that new, so recording them as covered never claims a change the files lack.
        List<DayChange> due = changes.changedDays(source).stream()
                .filter(change -> change.isNewerThan(done.get(change.date()))).toList();
        // The next day is read from Cassandra while this one is written: one waits on Cassandra's pages,
        // the other on DuckDB's sort and compression, so together they take little more than the longer
        // one. At most two days' rows are held, each in its own DuckDB table (which spills to disk).
        CompletableFuture<DayExporter.ReadDay> pending = null;
        try {
            for (int i = 0; i < due.size(); i++) {
                DayChange change = due.get(i);
                LocalDate day = change.date();
                if (stopping) {
                    // Left as it is, as after a failure: the next cycle, here or on another replica, exports it.
                    failed.add(new ExportSummary.Failure(source, day.toString(), STOPPING));
                    return;
                }
                if (hold.lost()) {
                    // Another replica may hold the source now; it exports what is left.
                    LOG.warnf("export lease of source %s lost; leaving its remaining days to the replica that holds it", source);
                    failed.add(new ExportSummary.Failure(source, day.toString(), "export lease lost"));
                    return;
                }
                if (pending == null) {
                    pending = read(source, change, done.get(day));
                }
                try {
                    pauseForTests();
                    DayExporter.ReadDay read = await(pending);
                    pending = null;
                    DayExporter.Result result;
                    try (read) {
                        if (i + 1 < due.size()) {
                            DayChange next = due.get(i + 1);
                            pending = read(source, next, done.get(next.date()));
                        }
                        result = exporter.write(read, leaseTakenAt);
                    }
                    swapped.add(day);
                    Instant exportedAt = Instant.now();
                    // Before the export ledger: a crash in between re-exports the day and records one revision
                    // twice, never none.
                    revisions.record(source, day, exportedAt, result.rows(), result.users());
                    exports.record(source, change, exportedAt, result.rows(), result.files(), result.bytes());
                    exported.add(new ExportSummary.Day(source, day.toString(), result.rows(), result.files(),
                            result.bytes(), read.plan().toString(), result.rowsRead()));
                    if (hold.lost()) {
                        overtaken(source, day);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failed.add(new ExportSummary.Failure(source, day.toString(), "interrupted"));
                    return;
                } catch (DaySuperseded e) {
                    // The replica that holds the source now exported the day from newer rows; it has the rest too.
                    LOG.warn(e.getMessage());
                    failed.add(new ExportSummary.Failure(source, day.toString(), SUPERSEDED));
                    return;
                } catch (Exception e) {
                    if (pending != null && pending.isCompletedExceptionally()) {
                        // This day's own read failed; the next day is read afresh.
                        pending = null;
                    }
                    if (stopping) {
                        // Halted by the stop (or failed during it): left as it is, for the next cycle.
                        LOG.infof("export of source %s day %s left unfinished by the stop: %s", source, day, e.getMessage());
                        failed.add(new ExportSummary.Failure(source, day.toString(), STOPPING));
                        return;
                    }
                    // The day keeps its old files and its old ledger entry, so the next cycle retries it.
                    LOG.errorf(e, "export of source %s day %s failed", source, day);
                    failed.add(new ExportSummary.Failure(source, day.toString(), e.getMessage()));
                    complete = false;
                }
            }
        } finally {
            discard(pending);
        }
        if (complete && !hold.lost()) {
            exports.markExportedThrough(source, startedAt);
        }
    }

    /**
     * A day committed after the source's lease was lost (a pause longer than its ttl): another replica may have
     * exported the day from newer rows meanwhile, and if this replica's manifest landed after that one's, and that
     * one's ledger row after this one's, the bucket holds the older day while the ledger says the newer change is
     * covered, and no export would come until the day changes again. One more change counted after this commit puts
     * the day past every export recorded, so the replica holding the lease exports it again, after whatever landed.
     */
    private void overtaken(String source, LocalDate day) {
        LOG.warnf("export lease of source %s lost while day %s was written; counting one change more in the day so"
                + " the replica that holds the lease exports it again", source, day);
        try {
            changes.markChangedAgain(source, day);
        } catch (RuntimeException e) {
            LOG.errorf(e, "source %s day %s: one change more could not be counted; the day may stay a change behind"
                    + " until it changes again", source, day);
        }
    }

    /** Reads the day's rows on the read-ahead thread: those of the slices the change touched, or all. */
    private CompletableFuture<DayExporter.ReadDay> read(String source, DayChange change, ExportedDay exported) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return exporter.read(source, change.date(), exporter.plan(source, change, exported));
            } catch (SQLException | IOException e) {
                throw new CompletionException(e);
            }
        }, reader);
    }

    private static DayExporter.ReadDay await(CompletableFuture<DayExporter.ReadDay> reading) throws Exception {
        try {
            return reading.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /** Drops a day read ahead that will not be written now; waits for its read to end first. */
    private static void discard(CompletableFuture<DayExporter.ReadDay> pending) {
        if (pending == null) {
            return;
        }
        try {
            pending.join().close();
        } catch (CompletionException | CancellationException e) {
            // Its read failed; there is nothing to drop, and the day is not exported now anyway.
        } catch (SQLException e) {
            LOG.warnf(e, "dropping a day read ahead failed");
        }
    }

    private void pauseForTests() throws InterruptedException {
        if (config.dayDelay().isPresent()) {
            Thread.sleep(config.dayDelay().get().toMillis());
        }
    }

    /**
     * A process on an empty or stale disk answers from the bucket as soon as it can, not only after
     * its first export cycle ({@code first-delay}); on the worker, so never at once with an export.
     */
    void mirrorAtStart(@Observes StartupEvent event) {
        if (!mirror.enabled()) {
            return;
        }
        worker.submit(() -> {
            // Any failure is retried by the mirror refresh, which then reports the replica ready.
            try {
                for (String source : mirror.sources()) {
                    if (stopping) {
                        return;
                    }
                    if (exported(source)) {
                        // Not beside the mirror refresh of the same source, which would fetch the same days again.
                        Lock local = locks.of(source);
                        local.lock();
                        try {
                            mirror.sync(source);
                        } finally {
                            local.unlock();
                        }
                    }
                }
                readiness.filled();
            } catch (Exception e) {
                LOG.errorf(e, "mirroring from the bucket at start failed");
            }
        });
    }

    private boolean exported(String source) {
        return config.exports(source);
    }

    /**
     * Lets the export end at a day's boundary and give its lease back while the Cassandra session is
     * still open: Quarkus closes the session in a shutdown task right after this event. Before, the
     * threads were interrupted and the process was gone within 0.2 s; the export never reached its
     * {@code release}, so the source stayed leased to a process that no longer ran until the lease's
     * ttl, and the replica that replaced it (or this one restarted) skipped the source for a whole
     * cycle (5 minutes) after a rolling update. No interrupt now: a file or bucket write it reaches
     * is abandoned half done (NIO channels close on an interrupt). A day still being read, or written, is
     * halted instead (a day of millions of rows takes minutes, past any grace period) and left for the next
     * cycle: its reads and slices at their next page or slice, its upload to the bucket at its next object, and the
     * DuckDB statement under way (a file, a rollup) cancelled. Only a day that outlasts {@code stop-timeout} even so
     * (one object's upload, a swap) is left as after a crash. Observed before the
     * other observers of the event (their default priority is {@code APPLICATION + 500}): those close
     * DuckDB's databases and the bucket's client, which the day being finished still writes with.
     */
    void stop(@Observes @Priority(Interceptor.Priority.APPLICATION) ShutdownEvent event) throws InterruptedException {
        long started = System.nanoTime();
        stopping = true;
        exporter.halt();
        worker.shutdown();
        try {
            if (worker.awaitTermination(config.stopTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.infof("export stopped in %d ms, at a day's boundary or halted within a day left for the next cycle;"
                        + " its lease given back; the Cassandra session closes next", (System.nanoTime() - started) / 1_000_000);
            } else {
                LOG.warnf("export still writing a day after %s; it is left unfinished, and its source's lease runs"
                        + " out after %s", config.stopTimeout(), config.lease().ttl());
            }
        } finally {
            reader.shutdownNow();
            renewer.shutdownNow();
        }
    }
}
