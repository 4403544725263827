package io.tidemark.mart.repository;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.tidemark.mart.config.MartConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * tidemark.mart_revisions: the numbers of every export of a (source, day), oldest first. Blocking
 * calls, used from the export worker and the query pool.
 */
@ApplicationScoped
public class RevisionLedger {

    /** One export of a day: when, and the events and distinct users it wrote. */
    public record Entry(Instant exportedAt, long events, long users) {
    }

    private static final String RECORD = "INSERT INTO tidemark.mart_revisions (source, event_date, exported_at, events, "
            + "users) VALUES (?, ?, ?, ?, ?)";
    private static final String OF_DAY = "SELECT exported_at, events, users FROM tidemark.mart_revisions "
            + "WHERE source = ? AND event_date = ?";
    private static final String FIRST = OF_DAY + " LIMIT 1";

    private final QuarkusCqlSession session;
    private final ConsistencyLevel consistency;

    public RevisionLedger(QuarkusCqlSession session, MartConfig config) {
        this.session = session;
        this.consistency = config.cassandra().consistency();
    }

    public void record(String source, LocalDate day, Instant exportedAt, long events, long users) {
        session.execute(SimpleStatement.newInstance(RECORD, source, day, exportedAt, events, users)
                .setConsistencyLevel(consistency));
    }

    /** Every export of the day, oldest first. */
    public List<Entry> ofDay(String source, LocalDate day) {
        List<Entry> entries = new ArrayList<>();
        for (Row row : session.execute(SimpleStatement.newInstance(OF_DAY, source, day).setConsistencyLevel(consistency))) {
            entries.add(entry(row));
        }
        return entries;
    }

    /** The day's first export, which is what it was first reported as. */
    public Optional<Entry> first(String source, LocalDate day) {
        Row row = session.execute(SimpleStatement.newInstance(FIRST, source, day).setConsistencyLevel(consistency)).one();
        return Optional.ofNullable(row).map(RevisionLedger::entry);
    }

    private static Entry entry(Row row) {
        return new Entry(row.getInstant("exported_at"), row.getLong("events"), row.getLong("users"));
    }
}
