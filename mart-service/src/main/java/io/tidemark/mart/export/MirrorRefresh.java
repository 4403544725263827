package io.tidemark.mart.export;

import io.quarkus.scheduler.Scheduled;
import io.tidemark.mart.config.MartConfig;
import io.tidemark.mart.model.ExportedDay;
import io.tidemark.mart.repository.ChangeLedger;
import io.tidemark.mart.repository.ExportLedger;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.Lock;

/**
 * With store kind s3, brings this replica's mirror up to date within seconds of another replica's
 * commit, not at this replica's own next export: every {@code store.refresh-every} it reads each
 * source's export ledger (one partition, LOCAL_QUORUM) and, when that changed since its last look,
 * fetches the changed days from the bucket ({@link MirrorSync}). The ledger is read before the
 * bucket, and a replica records a day only after its manifest is committed, so a refresh never
 * misses a day the ledger it read already named.
 */
@ApplicationScoped
public class MirrorRefresh {

    private static final Logger LOG = Logger.getLogger(MirrorRefresh.class);

    private final MirrorSync mirror;
    private final ChangeLedger changes;
    private final ExportLedger exports;
    private final SourceLocks locks;
    private final MirrorReadiness readiness;
    private final MartConfig.Export config;
    /** Per source, the ledger (day, exportedAt) this mirror was last brought up to date with. */
    private final ConcurrentMap<String, Map<LocalDate, Instant>> seen = new ConcurrentHashMap<>();

    public MirrorRefresh(MirrorSync mirror, ChangeLedger changes, ExportLedger exports, SourceLocks locks,
            MirrorReadiness readiness, MartConfig config) {
        this.readiness = readiness;
        this.mirror = mirror;
        this.changes = changes;
        this.exports = exports;
        this.locks = locks;
        this.config = config.export();
    }

    // Blocking (Cassandra, S3, DuckDB swaps): Quarkus runs a non-reactive scheduled method on a worker thread.
    @Scheduled(every = "${tidemark.mart.store.refresh-every}", delayed = "${tidemark.mart.store.refresh-every}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void refresh() {
        if (!mirror.enabled()) {
            return;
        }
        boolean all = true;
        for (String source : changes.sources()) {
            if (config.exports(source)) {
                all &= refresh(source);
            }
        }
        if (all) {
            readiness.filled();
        }
    }

    /** Fetches the source's changed days if its ledger moved; false if this replica is exporting it right now. */
    boolean refresh(String source) {
        Map<LocalDate, Instant> ledger = new TreeMap<>();
        for (ExportedDay day : exports.days(source).values()) {
            ledger.put(day.date(), day.exportedAt());
        }
        if (ledger.equals(seen.get(source))) {
            return true;
        }
        Lock local = locks.of(source);
        // This replica exports the source now: it writes those days itself; the next refresh catches up.
        if (!local.tryLock()) {
            return false;
        }
        try {
            int changed = mirror.sync(source);
            seen.put(source, ledger);
            if (changed > 0) {
                LOG.infof("mirror of source %s: %d days fetched from the bucket or removed", source, changed);
            }
            return true;
        } catch (Exception e) {
            // Not marked as seen: the next refresh tries again.
            LOG.errorf(e, "refreshing the mirror of source %s from the bucket failed", source);
            return false;
        } finally {
            local.unlock();
        }
    }
}
