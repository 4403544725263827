package io.tidemark.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * Brings the node to rest between two timed phases: flushes the keyspace's memtables and waits until no
 * flush or compaction runs or waits. A phase's writes cost Cassandra most of their CPU later, in flushes
 * and compactions; without this, whichever phase came next paid for them, and the ratio of two phases
 * moved with their order (dedup against plain inserts: 0.84 with the floor's writes before dedup's round,
 * 1.02 with plain inserts' before it, in two runs of the same build). The time at rest is in no rate;
 * the CPU it takes is counted to the phase before.
 */
public final class QuietCassandra {

    private static final String KEYSPACE = "tidemark";
    private static final Set<String> BACKGROUND = Set.of("CompactionExecutor", "MemtableFlushWriter", "MemtablePostFlush");
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration LONGEST = Duration.ofMinutes(3);

    private final NodeTool nodetool;
    private final CqlSession session;

    private QuietCassandra(NodeTool nodetool, CqlSession session) {
        this.nodetool = nodetool;
        this.session = session;
    }

    /** The stack's node, read through {@code session} (the caller's to close), flushed through its local JMX at {@code jmxPort}. */
    public static QuietCassandra of(Path root, CqlSession session, int jmxPort) {
        return new QuietCassandra(new NodeTool(root, jmxPort), session);
    }

    /** Flushes and waits for the background to be idle at two readings in a row; how long that took. */
    public Duration settle() throws Exception {
        Instant start = Instant.now();
        nodetool.flush(KEYSPACE);
        int idleReadings = 0;
        while (idleReadings < 2) {
            if (Duration.between(start, Instant.now()).compareTo(LONGEST) > 0) {
                throw new IllegalStateException("Cassandra still flushing or compacting after " + LONGEST);
            }
            Thread.sleep(POLL.toMillis());
            idleReadings = busyTasks() == 0 ? idleReadings + 1 : 0;
        }
        return Duration.between(start, Instant.now());
    }

    /** Local reads and writes of each table of the keyspace so far, as the node counts them ({@code system_views}). */
    public Map<String, Long> requests() {
        Map<String, Long> counts = new TreeMap<>();
        for (String kind : List.of("read", "write")) {
            for (Row table : session.execute("SELECT table_name, count FROM system_views.local_" + kind
                    + "_latency WHERE keyspace_name = '" + KEYSPACE + "'")) {
                counts.put(table.getString("table_name") + " " + kind + "s", ((Number) table.getObject("count")).longValue());
            }
        }
        return counts;
    }

    /**
     * The tables' local reads and writes between two {@link #requests()} per 100 rows of a phase, e.g.
     * {@code events_by_day writes 1.2, message_claims reads 10.0}: a write is one partition's update of one request.
     */
    public static String per100Rows(Map<String, Long> before, Map<String, Long> after, long rows) {
        StringJoiner line = new StringJoiner(", ");
        after.forEach((name, count) -> {
            long made = count - before.getOrDefault(name, 0L);
            if (made > 0) {
                line.add(String.format("%s %.1f", name, 100.0 * made / rows));
            }
        });
        return line.toString();
    }

    private long busyTasks() {
        long busy = 0;
        for (Row pool : session.execute("SELECT name, active_tasks, pending_tasks FROM system_views.thread_pools")) {
            if (BACKGROUND.contains(pool.getString("name"))) {
                busy += ((Number) pool.getObject("active_tasks")).longValue()
                        + ((Number) pool.getObject("pending_tasks")).longValue();
            }
        }
        return busy;
    }
}
