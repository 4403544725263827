package io.tidemark.schema;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.servererrors.InvalidQueryException;
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

    private static final int TABLE_ARRIVAL_ATTEMPTS = 10;
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
                MigrationRepository scripts = new MigrationRepository(owner.scriptPath());
                MigrationConfiguration configuration = new MigrationConfiguration()
                        .withKeyspace(new Keyspace(keyspace).with(replication.strategy()))
                        .withTablePrefix(owner.ownerName());
                try {
                    Database database = open(session, configuration);
                    int before = database.getVersion();
                    new MigrationTask(database, scripts, true).migrate();
                    int after = database.getVersion();
                    // Another runner may have held the lead and applied them meanwhile: say what changed, not who.
                    report.add(owner.ownerName() + ": " + (after == before
                            ? "at version " + after + ", up to date" : "version " + before + " -> " + after));
                } catch (MigrationException e) {
                    throw new SchemaException(owner.ownerName() + ": " + describe(e), e);
                }
            }
        }
        return report;
    }

    /**
     * The library creates its history tables and at once prepares statements on them. In a cluster a
     * node that joined the driver's view late can coordinate that prepare before the new table reached
     * it (the driver's schema agreement counts only the nodes it saw up when the DDL returned): wait
     * for agreement and try again; the library's DDL is idempotent.
     */
    private static Database open(CqlSession session, MigrationConfiguration configuration) {
        for (int attempt = 1; ; attempt++) {
            try {
                return new SessionKeepingDatabase(session, configuration);
            } catch (InvalidQueryException e) {
                if (attempt >= TABLE_ARRIVAL_ATTEMPTS || !e.getMessage().contains("does not exist")) {
                    throw e;
                }
                awaitSchemaAgreement(session);
            }
        }
    }

    private static void awaitSchemaAgreement(CqlSession session) {
        for (int check = 0; check < TABLE_ARRIVAL_ATTEMPTS && !session.checkSchemaAgreement(); check++) {
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
