package io.tidemark.mart.repository;

import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.tidemark.mart.config.MartConfig;
import io.tidemark.mart.model.DayChange;
import io.tidemark.mart.model.ExportedDay;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * tidemark.exported_days: what the mart's files of each (source, day) cover, and per source the
 * time through which every noted change is exported. Blocking calls, used from worker threads.
 */
@ApplicationScoped
public class ExportLedger {

    private static final String COLUMNS = "source, event_date, exported_through, covers_changes, covers_changed_at, "
            + "covers_hours, covers_hour_marked, exported_at, rows, files, bytes";
    private static final String OF_SOURCE = "SELECT " + COLUMNS + " FROM tidemark.exported_days WHERE source = ?";
    private static final String OF_DAY = "SELECT " + COLUMNS + " FROM tidemark.exported_days WHERE source = ? AND event_date = ?";
    private static final String ALL = "SELECT " + COLUMNS + " FROM tidemark.exported_days";
    private static final String RECORD = "INSERT INTO tidemark.exported_days (source, event_date, covers_changes, "
            + "covers_changed_at, covers_hours, covers_hour_marked, exported_at, rows, files, bytes) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String THROUGH = "UPDATE tidemark.exported_days SET exported_through = ? WHERE source = ?";
    private static final String THROUGH_OF = "SELECT exported_through FROM tidemark.exported_days WHERE source = ? LIMIT 1";

    private final QuarkusCqlSession session;
    private final ConsistencyLevel consistency;

    public ExportLedger(QuarkusCqlSession session, MartConfig config) {
        this.session = session;
        this.consistency = config.cassandra().consistency();
    }

    /** The exported days of a source, in day order. */
    public Map<LocalDate, ExportedDay> days(String source) {
        Map<LocalDate, ExportedDay> days = new TreeMap<>();
        for (Row row : session.execute(SimpleStatement.newInstance(OF_SOURCE, source).setConsistencyLevel(consistency))) {
            if (!row.isNull("event_date")) {
                days.put(row.getLocalDate("event_date"), day(row));
            }
        }
        return days;
    }

    /** One exported day of a source, if it was exported. */
    public Optional<ExportedDay> day(String source, LocalDate date) {
        Row row = session.execute(SimpleStatement.newInstance(OF_DAY, source, date).setConsistencyLevel(consistency)).one();
        return row == null || row.isNull("event_date") ? Optional.empty() : Optional.of(day(row));
    }

    /** Every exported day of every source (or of one), for operators. */
    public List<ExportedDay> list(Optional<String> source) {
        List<ExportedDay> days = new ArrayList<>();
        SimpleStatement query = source.map(s -> SimpleStatement.newInstance(OF_SOURCE, s))
                .orElse(SimpleStatement.newInstance(ALL));
        for (Row row : session.execute(query.setConsistencyLevel(consistency))) {
            if (!row.isNull("event_date")) {
                days.add(day(row));
            }
        }
        return days;
    }

    /** Notes that the day's files now hold every change up to {@code covers}, as read before the day's rows. */
    public void record(String source, DayChange covers, Instant exportedAt, long rows, int files, long bytes) {
        // No hours read (a day only a dedup host that counts no hours marked): null, so the next export is whole.
        boolean hours = !covers.hours().isEmpty();
        session.execute(SimpleStatement.newInstance(RECORD, source, covers.date(), covers.changes(), covers.changedAt(),
                        hours ? covers.hours() : null, hours ? covers.hourMarked() : null, exportedAt, rows, files, bytes)
                .setConsistencyLevel(consistency));
    }

    public void markExportedThrough(String source, Instant through) {
        session.execute(SimpleStatement.newInstance(THROUGH, through, source).setConsistencyLevel(consistency));
    }

    public Optional<Instant> exportedThrough(String source) {
        Row row = session.execute(SimpleStatement.newInstance(THROUGH_OF, source).setConsistencyLevel(consistency)).one();
        return row == null ? Optional.empty() : Optional.ofNullable(row.getInstant("exported_through"));
    }

    private static ExportedDay day(Row row) {
        return new ExportedDay(row.getString("source"), row.getLocalDate("event_date"), row.getInstant("exported_at"),
                row.isNull("covers_changes") ? null : row.getLong("covers_changes"), row.getInstant("covers_changed_at"),
                row.isNull("covers_hours") ? null : row.getList("covers_hours", Long.class),
                row.isNull("covers_hour_marked") ? null : row.getLong("covers_hour_marked"),
                row.getLong("rows"), row.getInt("files"), row.getLong("bytes"),
                row.getInstant("exported_through"));
    }
}
