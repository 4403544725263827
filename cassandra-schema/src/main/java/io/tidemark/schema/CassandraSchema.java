package io.tidemark.schema;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.servererrors.InvalidQueryException;
import com.datastax.oss.driver.api.core.servererrors.ReadFailureException;
import com.datastax.oss.driver.api.core.servererrors.WriteFailureException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.cognitor.cassandra.migration.Database;
import org.cognitor.cassandra.migration.MigrationConfiguration;
import org.cognitor.cassandra.migration.MigrationException;
import org.cognitor.cassandra.migration.MigrationRepository;
import org.cognitor.cassandra.migration.MigrationTask;
import org.cognitor.cassandra.migration.keyspace.Keyspace;

/**
 * Applies every owner's migrations to one keyspace with cassandra-migration: the one runner of the
 * local stack, the tests and the Kubernetes schema Job. Each script runs once per keyspace; a second
 * runner started at the same time waits for the first (a lead taken with a lightweight transaction).
 */
public final class CassandraSchema {

    private static final int SETTLE_ATTEMPTS = 10;
    private static final Duration AGREEMENT_POLL = Duration.ofMillis(500);

    private final CassandraTarget target;

    public CassandraSchema(CassandraTarget target) {
        this.target = target;
    }

    /**
     * Creates the keyspace if missing (with {@code replication}; an existing one is left as it is), then
     * brings each owner's tables to its latest version. One line per owner says what was done.
     */
    public List<String> apply(String keyspace, Replication replication) {
        List<String> report = new ArrayList<>();
        // Schema metadata on: the library asks it whether the keyspace and its history tables exist.
        try (CqlSession session = target.connect("tidemark-schema", true)) {
            for (SchemaOwner owner : SchemaOwner.inOrder()) {
                MigrationConfiguration configuration = new MigrationConfiguration()
                        .withKeyspace(new Keyspace(keyspace).with(replication.strategy()))
                        .withTablePrefix(owner.ownerName());
                report.add(owner.ownerName() + ": " + migrate(session, owner, configuration));
            }
        }
        return report;
    }

    /**
     * One owner's scripts, retried while the cluster's schema has not settled. The library creates its
     * history tables and at once prepares and reads them at QUORUM; on a fresh cluster a node that the
     * driver saw up late can get there before the new table reached it (the driver's schema agreement
     * counts only the nodes it saw up when the DDL returned) and answers "does not exist" or fails the
     * read. Every step is idempotent, so waiting for agreement and starting the owner again is safe.
     */
    private static String migrate(CqlSession session, SchemaOwner owner, MigrationConfiguration configuration) {
        for (int attempt = 1; ; attempt++) {
            try {
                Database database = new SessionKeepingDatabase(session, configuration);
                int before = database.getVersion();
                new MigrationTask(database, new MigrationRepository(owner.scriptPath()), true).migrate();
                int after = database.getVersion();
                // Another runner may have held the lead and applied them meanwhile: say what changed, not who.
                return after == before ? "at version " + after + ", up to date" : "version " + before + " -> " + after;
            } catch (MigrationException | DriverException e) {
                if (attempt >= SETTLE_ATTEMPTS || !schemaNotSettled(e)) {
                    throw e instanceof MigrationException m ? new SchemaException(owner.ownerName() + ": " + describe(m), m) : e;
                }
                awaitSchemaAgreement(session);
            }
        }
    }

    private static boolean schemaNotSettled(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ReadFailureException || cause instanceof WriteFailureException
                    || cause instanceof InvalidQueryException && String.valueOf(cause.getMessage()).contains("does not exist")) {
                return true;
            }
        }
        return false;
    }

    private static void awaitSchemaAgreement(CqlSession session) {
        for (int check = 0; check < SETTLE_ATTEMPTS && !session.checkSchemaAgreement(); check++) {
            try {
                Thread.sleep(AGREEMENT_POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaException("interrupted while waiting for schema agreement", e);
            }
        }
    }

    /** The library closes its session when a task ends; one session serves every owner here, closed by its caller. */
    private static final class SessionKeepingDatabase extends Database {

        SessionKeepingDatabase(CqlSession session, MigrationConfiguration configuration) {
            super(session, configuration);
        }

        @Override
        public void close() {
            // the session outlives the task
        }
    }

    private static String describe(MigrationException e) {
        StringBuilder text = new StringBuilder(e.getMessage());
        if (e.getScriptName() != null) {
            text.append(" [script ").append(e.getScriptName()).append(']');
        }
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            text.append(": ").append(cause.getMessage());
        }
        return text.toString();
    }
}
