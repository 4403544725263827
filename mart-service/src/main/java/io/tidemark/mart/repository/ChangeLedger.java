package io.tidemark.mart.repository;

import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.quarkus.runtime.api.session.QuarkusCqlSession;
import io.tidemark.mart.config.MartConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads tidemark.changed_days, the ledger dedup-service keeps of which (source, day) changed when.
 * Blocking calls: used from the export and query worker threads only.
 */
@ApplicationScoped
public class ChangeLedger {

    private static final String SOURCES = "SELECT DISTINCT source FROM tidemark.changed_days";
    private static final String DAYS = "SELECT event_date, changed_at FROM tidemark.changed_days WHERE source = ?";
    private static final String SOURCE_SEEN = "SELECT source FROM tidemark.changed_days WHERE source = ? LIMIT 1";

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

    /** Every day of the source that ever changed, with the time of its latest change, in day order. */
    public Map<LocalDate, Instant> changedDays(String source) {
        Map<LocalDate, Instant> days = new TreeMap<>();
        for (Row row : session.execute(SimpleStatement.newInstance(DAYS, source).setConsistencyLevel(consistency))) {
            days.put(row.getLocalDate("event_date"), row.getInstant("changed_at"));
        }
        return days;
    }

    /** Whether any event was ever stored for the source. */
    public boolean sourceExists(String source) {
        return session.execute(SimpleStatement.newInstance(SOURCE_SEEN, source).setConsistencyLevel(consistency)).one() != null;
    }
}
