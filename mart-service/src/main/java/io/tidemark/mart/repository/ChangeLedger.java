package io.tidemark.mart.repository;

import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.tidemark.event.ChangedHours;
import io.tidemark.mart.config.MartConfig;
import io.tidemark.mart.model.DayChange;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads the ledgers dedup-service keeps of which (source, day) changed: tidemark.changed_days (when,
 * by a dedup host's clock) and tidemark.day_changes (how often, a counter), and counts one change more
 * in a day whose export may have been overtaken ({@link #markChangedAgain}).
 * Blocking calls: used from the export and query worker threads only.
 */
@ApplicationScoped
public class ChangeLedger {

    private static final String SOURCES = "SELECT DISTINCT source FROM tidemark.changed_days";
    private static final String DAYS = "SELECT event_date, changed_at FROM tidemark.changed_days WHERE source = ?";
    private static final String COUNTS = "SELECT event_date, changes, hour_marked, "
            + String.join(", ", ChangedHours.columns()) + " FROM tidemark.day_changes WHERE source = ?";
    private static final String DAY = DAYS + " AND event_date = ?";
    private static final String COUNT = COUNTS + " AND event_date = ?";
    private static final String SOURCE_SEEN = "SELECT source FROM tidemark.changed_days WHERE source = ? LIMIT 1";
    // The day's count only, not its hours': a count that moved without its hours makes the next export
    // read the whole day (DayChange), which is what a day of unknown files needs.
    private static final String ONE_MORE = "UPDATE tidemark.day_changes SET changes = changes + 1 "
            + "WHERE source = ? AND event_date = ?";

    private final QuarkusCqlSession session;
    private final ConsistencyLevel consistency;

    public ChangeLedger(QuarkusCqlSession session, MartConfig config) {
        this.session = session;
        this.consistency = config.cassandra().consistency();
    }

    public List<String> sources() {
        List<String> sources = new ArrayList<>();
        session.execute(SimpleStatement.newInstance(SOURCES).setConsistencyLevel(consistency)).forEach(row -> sources.add(row.getString("source")));
        return sources;
    }

    /**
     * Every day of the source that ever changed, in day order: its change count (0 if only a dedup
     * host that does not count yet wrote it) and the time of its latest change (null if only counted).
     * Read before the rows of any of these days, so files written from those rows hold at least the
     * changes counted here.
     */
    public List<DayChange> changedDays(String source) {
        return merged(SimpleStatement.newInstance(COUNTS, source), SimpleStatement.newInstance(DAYS, source));
    }

    /**
     * Counts one change more in the day, as dedup counts a store, so that whoever exports the source next
     * finds it newer than every export recorded so far and exports it whole again. A counter: it moves past
     * any count already read, in whatever order it meets other increments.
     */
    public void markChangedAgain(String source, LocalDate date) {
        session.execute(SimpleStatement.newInstance(ONE_MORE, source, date).setConsistencyLevel(consistency));
    }

    /** One day's change, as {@link #changedDays} gives it, if the day ever changed: two single-row reads. */
    public Optional<DayChange> changeOfDay(String source, LocalDate date) {
        List<DayChange> change = merged(SimpleStatement.newInstance(COUNT, source, date), SimpleStatement.newInstance(DAY, source, date));
        return change.stream().findFirst();
    }

    private List<DayChange> merged(SimpleStatement countQuery, SimpleStatement timeQuery) {
        // One row holds the day's count and its hours' counts, written by one statement: read together,
        // they agree.
        Map<LocalDate, Row> counts = new TreeMap<>();
        for (Row row : session.execute(countQuery.setConsistencyLevel(consistency))) {
            counts.put(row.getLocalDate("event_date"), row);
        }
        Map<LocalDate, Instant> times = new TreeMap<>();
        for (Row row : session.execute(timeQuery.setConsistencyLevel(consistency))) {
            times.put(row.getLocalDate("event_date"), row.getInstant("changed_at"));
        }
        // A day may be in one table only: marked by a dedup host that does not count yet, or read between
        // the two writes of one mark.
        Set<LocalDate> days = new TreeSet<>(counts.keySet());
        days.addAll(times.keySet());
        List<DayChange> changes = new ArrayList<>(days.size());
        for (LocalDate day : days) {
            Row count = counts.get(day);
            changes.add(count == null ? new DayChange(day, 0, times.get(day))
                    : new DayChange(day, count.getLong("changes"), times.get(day), count.getLong("hour_marked"),
                            ChangedHours.columns().stream().map(count::getLong).toList()));
        }
        return changes;
    }

    /** Whether any event was ever stored for the source. */
    public boolean sourceExists(String source) {
        return session.execute(SimpleStatement.newInstance(SOURCE_SEEN, source).setConsistencyLevel(consistency)).one() != null;
    }
}
