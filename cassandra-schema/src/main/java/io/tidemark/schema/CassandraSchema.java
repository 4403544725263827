package io.tidemark.schema;

import com.datastax.oss.driver.api.core.CqlSession;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.cognitor.cassandra.migration.Database;
import org.cognitor.cassandra.migration.MigrationConfiguration;
import org.cognitor.cassandra.migration.MigrationRepository;
import org.cognitor.cassandra.migration.MigrationTask;
import org.cognitor.cassandra.migration.keyspace.Keyspace;

/**
 * Applies every owner's migrations to one keyspace with cassandra-migration: the one runner of the
 * local stack, the tests and the Kubernetes schema Job. Each script runs once per keyspace; a second
 * runner started at the same time waits for the first (a lead taken with a lightweight transaction).
 */
public final class CassandraSchema {

    private static final Duration AGREEMENT_POLL = Duration.ofMillis(500);

    private final CassandraTarget target;
    // One lead id for all of this runner's owners and tries: a try recognises the lead a timed-out one took.
    private final MigrationLead lead;

    public CassandraSchema(CassandraTarget target) {
        this(target, new MigrationLead());
    }

    CassandraSchema(CassandraTarget target, MigrationLead lead) {
        this.target = target;
        this.lead = lead;
    }

    /**
     * Creates the keyspace if missing (with {@code replication}; an existing one is left as it is), then
     * brings each owner's tables to its latest version. One line per owner says what was done.
     */
    public List<String> apply(String keyspace, Replication replication) {
        List<String> report = new ArrayList<>();
        // Schema metadata on: the library asks it whether the keyspace and its history tables exist.
        try (CqlSession session = target.connectFollowing("tidemark-schema", keyspace)) {
            for (SchemaOwner owner : SchemaOwner.inOrder()) {
                MigrationConfiguration configuration = new MigrationConfiguration()
                        .withKeyspace(new Keyspace(keyspace).with(replication.strategy()))
                        .withTablePrefix(owner.ownerName());
                report.add(owner.ownerName() + ": " + migrate(session, owner, configuration, lead));
            }
        }
        return report;
    }

    /**
     * One owner's scripts, tried again ({@link MigrationAttempts}) while the cluster's schema has not settled or after a
     * coordinator timeout. The library creates its history tables and at once prepares and reads them at QUORUM; on a
     * fresh cluster a node that the driver saw up late can get there before the new table reached it (the driver's
     * schema agreement counts only the nodes it saw up when the DDL returned) and answers "does not exist" or fails the
     * read. A node starting or starved can time out a query, the lead's lightweight transactions among them.
     */
    private static String migrate(CqlSession session, SchemaOwner owner, MigrationConfiguration configuration, MigrationLead lead) {
        MigrationAttempts.Waits waits = new MigrationAttempts.Waits() {
            @Override
            public void awaitSchemaAgreement() {
                CassandraSchema.awaitSchemaAgreement(session);
            }

            @Override
            public void pause(Duration duration) {
                sleep(duration);
            }
        };
        return MigrationAttempts.run(owner.ownerName(), () -> migrateOnce(session, owner, configuration, lead, waits), waits);
    }

    private static String migrateOnce(CqlSession session, SchemaOwner owner, MigrationConfiguration configuration,
            MigrationLead lead, MigrationAttempts.Waits waits) {
        Database database = new SessionKeepingDatabase(session, configuration);
        MigrationRepository repository = new MigrationRepository(owner.scriptPath());
        int latest = repository.getLatestVersion();
        int before = database.getVersion();
        if (before < latest) {
            String keyspace = database.getKeyspaceName();
            if (lead.await(session, keyspace, database.getLeaderTableName(), () -> database.getVersion() < latest, waits::pause)) {
                try {
                    // Without the library's consensus: the lead is this run's own, under one id for every try.
                    new MigrationTask(database, repository, false).migrate();
                } finally {
                    lead.release(session, keyspace, database.getLeaderTableName());
                }
            }
        }
        int after = database.getVersion();
        // Another runner may have held the lead and applied them meanwhile: say what changed, not who.
        return after == before ? "at version " + after + ", up to date" : "version " + before + " -> " + after;
    }

    private static void awaitSchemaAgreement(CqlSession session) {
        for (int check = 0; check < MigrationAttempts.SETTLE_ATTEMPTS && !session.checkSchemaAgreement(); check++) {
            sleep(AGREEMENT_POLL);
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaException("interrupted while waiting to try the schema again", e);
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
}
