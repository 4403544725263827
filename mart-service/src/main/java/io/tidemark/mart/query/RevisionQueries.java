package io.tidemark.mart.query;

import io.smallrye.mutiny.Uni;
import io.tidemark.mart.layout.MartLayout;
import io.tidemark.mart.model.ExportedDay;
import io.tidemark.mart.model.Revisions;
import io.tidemark.mart.repository.ChangeLedger;
import io.tidemark.mart.repository.ExportLedger;
import io.tidemark.mart.repository.RevisionLedger;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;

/** A day's revisions from the revision ledger, beside what its summary file serves now. */
@ApplicationScoped
public class RevisionQueries {

    private final QueryPool pool;
    private final ChangeLedger changes;
    private final ExportLedger exports;
    private final RevisionLedger revisions;
    private final MartLayout layout;

    public RevisionQueries(QueryPool pool, ChangeLedger changes, ExportLedger exports, RevisionLedger revisions) {
        this.pool = pool;
        this.changes = changes;
        this.exports = exports;
        this.revisions = revisions;
        this.layout = pool.layout();
    }

    public Uni<Revisions> revisions(String source, LocalDate date) {
        // On the query pool: the ledgers' driver calls block, as DuckDB's do.
        return pool.submit(() -> {
            if (!changes.sourceExists(source)) {
                throw new UnknownSourceException(source);
            }
            List<Revisions.Revision> history = new ArrayList<>();
            RevisionLedger.Entry previous = null;
            for (RevisionLedger.Entry entry : revisions.ofDay(source, date)) {
                history.add(new Revisions.Revision(history.size() + 1, entry.exportedAt(), entry.events(), entry.users(),
                        previous == null ? 0 : entry.events() - previous.events(),
                        previous == null ? 0 : entry.users() - previous.users()));
                previous = entry;
            }
            ExportedDay exported = exports.day(source, date).orElse(null);
            // Pending: the day changed since its files were written, by the same rule the export cycle uses.
            boolean pending = changes.changeOfDay(source, date).map(change -> change.isNewerThan(exported)).orElse(false);
            Served served = served(source, date);
            return new Revisions(source, date, history.isEmpty() ? null : history.get(0), history,
                    new Revisions.Now(served.events(), served.users(), exported == null ? null : exported.exportedAt(), pending));
        });
    }

    /** What the daily API answers for a day: the events and users of its summary file. */
    private record Served(long events, long users) {
    }

    private Served served(String source, LocalDate date) {
        AtomicReference<Served> served = new AtomicReference<>(new Served(0, 0));
        Lock reading = pool.reading();
        reading.lock();
        try {
            Path summary = layout.summaryFile(source, date);
            if (!Files.isRegularFile(summary)) {
                return served.get();
            }
            pool.queryWithReadLockHeld(source, "SELECT events, users FROM " + MartSql.scan(List.of(summary.toString())), List.of(), rows -> {
                if (rows.next()) {
                    served.set(new Served(rows.getLong("events"), rows.getLong("users")));
                }
            });
        } finally {
            reading.unlock();
        }
        return served.get();
    }
}
