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
import io.tidemark.mart.repository.ExportLedger;
import io.tidemark.mart.repository.RevisionLedger;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Exports every (source, day) that changed since its last export, periodically and on demand.
 * All cycles run on one dedicated worker thread: DuckDB and the ledger calls block, and one
 * thread also means a scheduled and an on-demand cycle never rewrite the same day at once.
 */
@ApplicationScoped
public class ExportCycle {

    private static final Logger LOG = Logger.getLogger(ExportCycle.class);

    private final ChangeLedger changes;
    private final ExportLedger exports;
    private final DayExporter exporter;
    private final MirrorSync mirror;
    private final RevisionLedger revisions;
    private final MartConfig.Export config;
    private final AtomicReference<Instant> running = new AtomicReference<>();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "mart-export");
        thread.setDaemon(true);
        return thread;
    });

    public ExportCycle(ChangeLedger changes, ExportLedger exports, DayExporter exporter, MirrorSync mirror,
            RevisionLedger revisions, MartConfig config) {
        this.changes = changes;
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
        return Uni.createFrom().deferred(() -> {
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
                    result.complete(runNow(source));
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
        } catch (ExportRunningException e) {
            // An on-demand cycle is exporting the same changes; the next period picks up what it missed.
            return;
        }
        if (!summary.exported().isEmpty() || !summary.failed().isEmpty()) {
            LOG.infof("export cycle: %d days rewritten (%d rows), %d failed", summary.exported().size(),
                    summary.rows(), summary.failed().size());
        }
    }

    private ExportSummary runNow(Optional<String> only) {
        // Every change noted before this instant is read below, so once the source's days are
        // exported its files are complete through this instant.
        Instant startedAt = Instant.now();
        List<String> sources = only.map(List::of).orElseGet(changes::sources).stream()
                .filter(this::exported)
                .sorted().toList();
        List<ExportSummary.Day> exported = new ArrayList<>();
        List<ExportSummary.Failure> failed = new ArrayList<>();
        long rows = 0;
        for (String source : sources) {
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
            for (DayChange change : changes.changedDays(source)) {
                LocalDate day = change.date();
                if (!change.isNewerThan(done.get(day))) {
                    continue;
                }
                try {
                    DayExporter.Result result = exporter.export(source, day);
                    Instant exportedAt = Instant.now();
                    // Before the export ledger: a crash in between re-exports the day and records one revision
                    // twice, never none.
                    revisions.record(source, day, exportedAt, result.rows(), result.users());
                    exports.record(source, change, exportedAt, result.rows(), result.files(), result.bytes());
                    exported.add(new ExportSummary.Day(source, day.toString(), result.rows(), result.files(),
                            result.bytes()));
                    rows += result.rows();
                } catch (Exception e) {
                    // The day keeps its old files and its old ledger entry, so the next cycle retries it.
                    LOG.errorf(e, "export of source %s day %s failed", source, day);
                    failed.add(new ExportSummary.Failure(source, day.toString(), e.getMessage()));
                    complete = false;
                }
            }
            if (complete) {
                exports.markExportedThrough(source, startedAt);
            }
        }
        return new ExportSummary(startedAt, Instant.now(), sources.size(), rows, exported, failed);
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
            // Any failure is retried by the next export cycle, which mirrors every source it exports.
            try {
                for (String source : mirror.sources()) {
                    if (exported(source)) {
                        mirror.sync(source);
                    }
                }
            } catch (Exception e) {
                LOG.errorf(e, "mirroring from the bucket at start failed");
            }
        });
    }

    /** Whether this service exports (and mirrors) the source: all, unless {@code export.sources} names some. */
    private boolean exported(String source) {
        return config.sources().map(allowed -> allowed.contains(source)).orElse(true);
    }

    void stop(@Observes ShutdownEvent event) {
        worker.shutdownNow();
    }
}
