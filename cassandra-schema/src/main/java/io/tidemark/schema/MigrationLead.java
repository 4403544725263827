package io.tidemark.schema;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * One schema run's lead on an owner's migrations: a row of cassandra-migration's leader table
 * ({@code <owner>_schema_migration_leader}), taken and released with the library's own lightweight transactions and TTL,
 * so that a runner of the library and this one wait for each other. The difference is the id: the library draws a new
 * one for every {@code Database}, so after a take or release whose transaction timed out (its outcome unknown) the next
 * try would find its predecessor's lead and wait out the 5-minute TTL. One id for all of a run's tries makes that lead
 * recognisably its own.
 */
final class MigrationLead {

    /** The library's TTL of a lead, in seconds: a runner that died holding it blocks others this long. */
    static final int TTL_SECONDS = 300;
    /** Between looks at a lead another runner holds; each look is one lightweight transaction. */
    static final Duration POLL = Duration.ofSeconds(2);

    private final UUID id = UUID.randomUUID();
    private final String host = localAddress();

    /** The id this run's lead rows carry. */
    UUID id() {
        return id;
    }

    /**
     * Whether a take's answer means this run holds the lead: it was applied, or the row already there names this run
     * (an earlier try took it and the answer was lost to a timeout).
     */
    boolean holds(boolean applied, UUID leader) {
        return applied || id.equals(leader);
    }

    /**
     * Waits until this run holds the owner's lead (true), or until {@code pending} is false because another runner
     * brought the owner up to date meanwhile (false).
     */
    boolean await(CqlSession session, String keyspace, String leaderTable, BooleanSupplier pending, Consumer<Duration> pause) {
        while (pending.getAsBoolean()) {
            ResultSet answer = session.execute(SimpleStatement.newInstance("INSERT INTO " + keyspace + "." + leaderTable
                            + " (keyspace_name, leader, took_lead_at, leader_hostname) VALUES (?, ?, toTimestamp(now()), ?)"
                            + " IF NOT EXISTS USING TTL " + TTL_SECONDS, keyspace, id, host)
                    .setConsistencyLevel(ConsistencyLevel.QUORUM));
            // Not applied, the answer carries the row that is there; applied, only the flag.
            boolean applied = answer.wasApplied();
            if (holds(applied, applied ? null : answer.one().getUuid("leader"))) {
                return true;
            }
            pause.accept(POLL);
        }
        return false;
    }

    /** Gives the lead up if this run holds it; a lead another runner took meanwhile is left alone. */
    void release(CqlSession session, String keyspace, String leaderTable) {
        session.execute(SimpleStatement.newInstance("DELETE FROM " + keyspace + "." + leaderTable
                        + " WHERE keyspace_name = ? IF leader = ?", keyspace, id)
                .setConsistencyLevel(ConsistencyLevel.QUORUM));
    }

    private static String localAddress() {
        try {
            return InetAddress.getLocalHost().getHostAddress();
        } catch (UnknownHostException e) {
            // Only shown to an operator looking at the leader table.
            return "unknown";
        }
    }
}
